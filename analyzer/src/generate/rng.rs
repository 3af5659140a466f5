//! Deterministic randomness: SplitMix64, small and fast, good enough to spread synthetic
//! data. Everything the generator draws comes from here, so a seed fixes the log.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser: a well-mixed function of `x`.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(GOLDEN);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A hash of several values (order matters).
pub fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5A17_u64, |h, &p| mix(h ^ mix(p)))
}

/// A stream of random numbers.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream for `parts` (e.g. seed and purpose).
    pub fn new(parts: &[u64]) -> Rng {
        Rng(hash(parts))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a slice of length `n` (`n` > 0).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` random bits as lower-case hex, without going through `format!`.
pub fn hex_id(rng: &mut Rng, words: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(words * 16);
    for _ in 0..words {
        let w = rng.next();
        for i in (0..16).rev() {
            s.push(HEX[((w >> (i * 4)) & 15) as usize] as char);
        }
    }
    s
}
