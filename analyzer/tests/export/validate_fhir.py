"""Validates zegel's exported AuditEvents against FHIR R4 structure definitions.

Usage: validate_fhir.py ndjson|bundle FILE

Every AuditEvent is parsed by fhir.resources' R4B models (AuditEvent is unchanged from
R4 4.0.1): element names, cardinalities, types and primitive formats (id, instant, uri,
base64Binary). On top, the JSON rules the models let through: no nulls, empty strings or
empty arrays, and the required bindings of AuditEvent.action, .outcome and
.agent.network.type. Prints "N AuditEvents valid" and exits 0, or lists the problems
(at most 20) and exits 1.
"""

import json
import sys

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle

REQUIRED_CODES = {
    "action": {"C", "R", "U", "D", "E"},
    "outcome": {"0", "4", "8", "12"},
}
NETWORK_TYPES = {"1", "2", "3", "4", "5"}


def json_problems(value, where):
    """Nulls, empty strings, arrays or objects anywhere in value."""
    if value is None or value == "" or value == [] or value == {}:
        yield f"{where}: empty value {value!r}"
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from json_problems(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from json_problems(v, f"{where}[{i}]")


def binding_problems(event, where):
    for element, codes in REQUIRED_CODES.items():
        if element in event and event[element] not in codes:
            yield f"{where}.{element}: {event[element]!r} not in {sorted(codes)}"
    for i, agent in enumerate(event.get("agent", [])):
        kind = agent.get("network", {}).get("type")
        if kind is not None and kind not in NETWORK_TYPES:
            yield f"{where}.agent[{i}].network.type: {kind!r}"


def event_problems(event, where):
    if not isinstance(event, dict) or event.get("resourceType") != "AuditEvent":
        yield f"{where}: not an AuditEvent"
        return
    yield from json_problems(event, where)
    yield from binding_problems(event, where)
    try:
        AuditEvent.model_validate(event)
    except Exception as e:  # pydantic's ValidationError lists every field
        yield f"{where}: {e}"


def events(mode, path):
    with open(path, encoding="utf-8") as f:
        if mode == "ndjson":
            for n, line in enumerate(f, 1):
                yield f"line {n}", json.loads(line)
            return
        bundle = json.load(f)
    Bundle.model_validate(bundle)
    if bundle.get("type") != "collection":
        raise ValueError(f"Bundle.type is {bundle.get('type')!r}, not collection")
    for n, entry in enumerate(bundle.get("entry", [])):
        yield f"entry[{n}]", entry.get("resource")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("ndjson", "bundle"):
        sys.exit(__doc__)
    count, problems = 0, []
    for where, event in events(sys.argv[1], sys.argv[2]):
        count += 1
        problems.extend(event_problems(event, where))
    if problems:
        print("\n".join(problems[:20]))
        print(f"{len(problems)} problems in {count} AuditEvents")
        sys.exit(1)
    print(f"{count} AuditEvents valid")


if __name__ == "__main__":
    main()
