"""The same agent session for every framework: no LLM, just what a tool-calling agent does.

List the tools, call a list tool with a string limit, page with the returned cursor, get a record by
`id`, call a unified tool. Each adapter gives `list_names()` and `call(name, args) -> str` (the text
the framework hands its model); timings of the first tools/list and tools/call are printed.
"""

import json
import time

LIST = "list_all_hub_spot_contacts"
GET = "get_single_hub_spot_contact_by_id"
UNIFIED = "list_all_crm_contacts"


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def envelope(text):
    """The JSON envelope in a tool result's text (frameworks may wrap or prefix it)."""
    if isinstance(text, (list, tuple)):
        parts = []
        for item in text:
            if isinstance(item, dict):
                parts.append(item.get("text", ""))
            else:
                parts.append(getattr(item, "text", None) or getattr(item, "content", None) or str(item))
        text = "".join(parts)
    text = str(text)
    start = text.find("{")
    check(start >= 0, f"no JSON in the tool result: {text[:200]!r}")
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    return value


async def run(label, list_names, call):
    started = time.perf_counter()
    names = await list_names()
    list_ms = (time.perf_counter() - started) * 1000
    for name in (LIST, GET, UNIFIED):
        check(name in names, f"{label}: {name} not listed ({len(names)} tools)")

    started = time.perf_counter()
    first = envelope(await call(LIST, {"limit": "3"}))
    call_ms = (time.perf_counter() - started) * 1000
    check(first.get("result_count") == 3, f"{label}: first page {first}")
    cursor = first.get("next_cursor")
    check(isinstance(cursor, str) and cursor, f"{label}: no next_cursor in {first}")

    second = envelope(await call(LIST, {"limit": "3", "next_cursor": cursor}))
    check(second.get("result_count") == 3, f"{label}: second page {second}")
    first_ids = {r["id"] for r in first["result"]}
    second_ids = {r["id"] for r in second["result"]}
    check(not first_ids & second_ids, f"{label}: pages overlap")

    wanted = sorted(first_ids)[0]
    record = envelope(await call(GET, {"id": wanted}))
    check(record.get("result", {}).get("id") == wanted, f"{label}: get by id {record}")

    unified = envelope(await call(UNIFIED, {"limit": "2"}))
    check(unified.get("result_count") == 2, f"{label}: unified {unified}")
    check("email" in json.dumps(unified["result"]), f"{label}: unified records {unified}")

    print(f"ok  {label}: {len(names)} tools; tools/list {list_ms:.0f} ms, tools/call {call_ms:.0f} ms")
