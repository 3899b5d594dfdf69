"""Prints what Bugsink stored, as JSON on stdout, for the test kit's reader.

Usage: read-store.py <db.sqlite3> events|envelopes <project id>

Read-only; SQLite in WAL mode lets this run while gunicorn writes.
"""
import base64
import json
import sqlite3
import sys

db, what, project = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
conn.row_factory = sqlite3.Row

if what == "events":
    rows = conn.execute(
        "select event_id, data, release, environment, level, platform from events_event"
        " where project_id = ? order by digested_at",
        (project,),
    )
    out = [
        {
            "event_id": r["event_id"],
            "release": r["release"],
            "environment": r["environment"],
            "level": r["level"],
            "platform": r["platform"],
            "data": json.loads(r["data"]),
        }
        for r in rows
    ]
elif what == "envelopes":
    rows = conn.execute(
        "select id, data from ingest_envelope where project_pk = ? order by id", (project,)
    )
    out = [
        {"id": r["id"], "data": base64.b64encode(bytes(r["data"])).decode("ascii")}
        for r in rows
    ]
else:
    sys.exit(f"unknown query {what!r}")

json.dump(out, sys.stdout)
