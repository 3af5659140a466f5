//! `array_to_string(list, delimiter [, null_string])` (and its aliases `array_join`,
//! `list_to_string`, `list_join`): DataFusion's function, with a fast path for what the
//! reports ask of it, a column of text lists (`roles`) joined with a constant delimiter.
//!
//! DataFusion's own implementation makes a new array (an `Arc` and its buffers' reference
//! counts) for every row's list and walks it through a type dispatch: a cost per record
//! wherever a report joins the roles of every record (review at 10M records: 5.2-5.4 ->
//! 4.8 s with the fast path). The fast path
//! reads the list's offsets and the text values directly into one output buffer. It gives
//! the same result, row for row (nulls, empty lists, null elements and `null_string`
//! included; a test compares both); every other argument shape goes to DataFusion's
//! implementation unchanged.

use super::constant_text;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait, StringArray, StringArrayType,
    new_null_array,
};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::functions_nested::string::ArrayToString as Builtin;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use std::sync::Arc;

/// DataFusion's `array_to_string`, with the fast path in front of it.
#[derive(Debug, PartialEq, Eq, Hash, Default)]
pub struct ArrayToString {
    builtin: Builtin,
}

impl ScalarUDFImpl for ArrayToString {
    fn name(&self) -> &str {
        self.builtin.name()
    }

    fn signature(&self) -> &Signature {
        self.builtin.signature()
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        self.builtin.return_type(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match fast(&args.args, args.number_rows) {
            Some(out) => out.map(ColumnarValue::Array),
            None => self.builtin.invoke_with_args(args),
        }
    }

    fn aliases(&self) -> &[String] {
        self.builtin.aliases()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.builtin.documentation()
    }
}

/// The result for a column of text lists and constant text arguments; `None` for any
/// other shape of arguments.
fn fast(args: &[ColumnarValue], rows: usize) -> Option<Result<ArrayRef>> {
    let (list, rest) = args.split_first()?;
    let ColumnarValue::Array(list) = list else {
        return None;
    };
    let delimiter = constant_text(rest.first()?)?;
    let null_string = match rest.get(1) {
        None => None,
        Some(arg) => constant_text(arg)?,
    };
    if rest.len() > 2 {
        return None;
    }
    let Some(delimiter) = delimiter else {
        // A null delimiter makes every row null, as in DataFusion's implementation.
        return Some(Ok(new_null_array(&DataType::Utf8, rows)));
    };
    let joiner = Joiner {
        delimiter,
        null_string,
    };
    match list.data_type() {
        DataType::List(_) => joiner.list(list.as_list::<i32>()),
        DataType::LargeList(_) => joiner.list(list.as_list::<i64>()),
        _ => None,
    }
}

/// The constant arguments of one call.
struct Joiner<'a> {
    delimiter: &'a str,
    null_string: Option<&'a str>,
}

impl Joiner<'_> {
    /// Joins every row of a list of text; `None` when the elements are not text.
    fn list<O: OffsetSizeTrait>(&self, list: &GenericListArray<O>) -> Option<Result<ArrayRef>> {
        let values = list.values();
        Some(match values.data_type() {
            DataType::Utf8 => self.join(list, values.as_string::<i32>()),
            DataType::LargeUtf8 => self.join(list, values.as_string::<i64>()),
            DataType::Utf8View => self.join(list, values.as_string_view()),
            _ => return None,
        })
    }

    /// Each row's non-null elements (and `null_string` for each null one, when given),
    /// separated by the delimiter; a null list gives null, an empty one `""`.
    fn join<'s, O: OffsetSizeTrait>(
        &self,
        list: &GenericListArray<O>,
        values: impl StringArrayType<'s>,
    ) -> Result<ArrayRef> {
        let mut bytes: Vec<u8> = Vec::new();
        let mut offsets: Vec<i32> = Vec::with_capacity(list.len() + 1);
        offsets.push(0);
        let ends = list.value_offsets();
        for row in 0..list.len() {
            if list.is_valid(row) {
                let (from, to) = (ends[row].as_usize(), ends[row + 1].as_usize());
                self.write_row(&mut bytes, &values, from..to);
            }
            let Ok(end) = i32::try_from(bytes.len()) else {
                return exec_err!("array_to_string: the joined text exceeds 2 GiB in one batch");
            };
            offsets.push(end);
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let out = StringArray::try_new(offsets, bytes.into(), list.nulls().cloned())?;
        Ok(Arc::new(out))
    }

    fn write_row<'s>(
        &self,
        bytes: &mut Vec<u8>,
        values: &impl StringArrayType<'s>,
        elements: std::ops::Range<usize>,
    ) {
        let mut first = true;
        for e in elements {
            let text = if values.is_valid(e) {
                values.value(e)
            } else {
                match self.null_string {
                    Some(s) => s,
                    None => continue,
                }
            };
            if !first {
                bytes.extend_from_slice(self.delimiter.as_bytes());
            }
            first = false;
            bytes.extend_from_slice(text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{LargeListArray, LargeStringArray, ListArray, StringViewArray};
    use datafusion::arrow::buffer::NullBuffer;
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::ScalarValue;
    use datafusion::config::ConfigOptions;

    /// A small deterministic generator (no dependency for a test's randomness).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// `rows` lists of 0-3 elements (some null, some longer than a view's 12 inline
    /// bytes), some lists null, as (list offsets, element texts, list validity).
    fn lists(rng: &mut Rng, rows: usize) -> (Vec<i32>, Vec<Option<String>>, Vec<bool>) {
        let (mut offsets, mut elements, mut valid) = (vec![0], Vec::new(), Vec::new());
        for _ in 0..rows {
            for _ in 0..rng.below(4) {
                elements.push(match rng.below(6) {
                    0 => None,
                    1 => Some(String::new()),
                    2 => Some(format!("a-role-name-longer-than-twelve-{}", rng.below(9))),
                    _ => Some(format!("r{}", rng.below(5))),
                });
            }
            offsets.push(i32::try_from(elements.len()).expect("small"));
            valid.push(rng.below(7) != 0);
        }
        (offsets, elements, valid)
    }

    /// The same lists with text elements of each type, as List and as LargeList, also
    /// sliced (a slice's offsets do not start at 0).
    fn shapes(rng: &mut Rng) -> Vec<ArrayRef> {
        let (offsets, elements, valid) = lists(rng, 300);
        let texts: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(elements.clone())),
            Arc::new(LargeStringArray::from(elements.clone())),
            Arc::new(StringViewArray::from(elements.clone())),
        ];
        let nulls = Some(NullBuffer::from(valid));
        let mut out: Vec<ArrayRef> = Vec::new();
        for values in texts {
            let field = Arc::new(Field::new("item", values.data_type().clone(), true));
            let small = OffsetBuffer::new(ScalarBuffer::from(offsets.clone()));
            let large: Vec<i64> = offsets.iter().map(|&o| i64::from(o)).collect();
            let large = OffsetBuffer::new(ScalarBuffer::from(large));
            let list = ListArray::new(field.clone(), small, values.clone(), nulls.clone());
            let large = LargeListArray::new(field, large, values, nulls.clone());
            out.push(Arc::new(list.slice(17, 200)));
            out.push(Arc::new(list));
            out.push(Arc::new(large));
        }
        out
    }

    fn call(f: &dyn ScalarUDFImpl, args: Vec<ColumnarValue>, rows: usize) -> ArrayRef {
        let arg_fields = (args.iter())
            .map(|a| Arc::new(Field::new("a", a.data_type(), true)))
            .collect();
        let args = ScalarFunctionArgs {
            args,
            arg_fields,
            number_rows: rows,
            return_field: Arc::new(Field::new("out", DataType::Utf8, true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        match f.invoke_with_args(args).expect("invoke") {
            ColumnarValue::Array(a) => a,
            ColumnarValue::Scalar(s) => s.to_array_of_size(rows).expect("array"),
        }
    }

    /// Every list shape with every delimiter and null string (absent, NULL, text), in
    /// each text scalar type: the fast path gives exactly DataFusion's result.
    #[test]
    fn the_fast_path_gives_datafusions_result() {
        let (ours, builtin) = (ArrayToString::default(), Builtin::new());
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let texts = |s: Option<&str>| {
            let s = s.map(str::to_owned);
            [
                ScalarValue::Utf8(s.clone()),
                ScalarValue::Utf8View(s.clone()),
                ScalarValue::LargeUtf8(s),
            ]
        };
        let mut compared = 0;
        for list in shapes(&mut rng) {
            for delimiter in [Some(", "), Some(""), Some("|"), None].map(texts) {
                for null_string in [None, Some(None), Some(Some("?")), Some(Some(""))] {
                    for (d, n) in delimiter
                        .iter()
                        .zip(null_string.map(texts).iter().flatten())
                    {
                        let mut args = vec![ColumnarValue::Array(list.clone())];
                        args.push(ColumnarValue::Scalar(d.clone()));
                        args.push(ColumnarValue::Scalar(n.clone()));
                        let want = call(&builtin, args.clone(), list.len());
                        assert!(fast(&args, list.len()).is_some(), "fast path taken");
                        assert_eq!(call(&ours, args, list.len()).as_ref(), want.as_ref());
                        compared += 1;
                    }
                    if null_string.is_none() {
                        for d in &delimiter {
                            let args = vec![
                                ColumnarValue::Array(list.clone()),
                                ColumnarValue::Scalar(d.clone()),
                            ];
                            let want = call(&builtin, args.clone(), list.len());
                            assert_eq!(call(&ours, args, list.len()).as_ref(), want.as_ref());
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 300, "{compared} comparisons");
    }

    /// A list of numbers, and a delimiter per row, are not the fast path's: DataFusion's
    /// implementation answers them.
    #[test]
    fn other_shapes_go_to_datafusion() {
        let numbers =
            ListArray::from_iter_primitive::<datafusion::arrow::datatypes::Int64Type, _, _>(vec![
                Some(vec![Some(1), None, Some(3)]),
                None,
                Some(vec![]),
            ]);
        let comma = || ColumnarValue::Scalar(ScalarValue::Utf8(Some(",".into())));
        let args = vec![ColumnarValue::Array(Arc::new(numbers)), comma()];
        assert!(fast(&args, 3).is_none());
        let out = call(&ArrayToString::default(), args, 3);
        let out = out.as_string::<i32>();
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            [Some("1,3"), None, Some("")]
        );

        let list = shapes(&mut Rng(7)).remove(1);
        let per_row: ArrayRef = Arc::new(StringArray::from(vec![Some(";"); list.len()]));
        let args = vec![ColumnarValue::Array(list), ColumnarValue::Array(per_row)];
        assert!(fast(&args, 300).is_none());
    }
}
