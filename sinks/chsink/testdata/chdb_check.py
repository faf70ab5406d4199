"""Runs wismo's ClickHouse schema and queries on current ClickHouse, embedded
in-process by chdb (https://pypi.org/project/chdb/), for chdb_test.go.

Input: the path of a JSON job written by the Go test:
    {"steps": [
        {"sql": "CREATE TABLE ..."},                       run one statement
        {"insert": "db.table", "file": "rows.ndjson"},     INSERT ... FORMAT JSONEachRow
        {"check": "label", "queries": [{"name": "...", "sql": "SELECT ..."}]}
    ]}
Output (stdout): JSON {"version": "...", "checks": {label: {query name: TSV text}}}.
Any failing statement ends the run with exit status 1 and the statement and
error on stderr.
"""
import json
import sys

import chdb
from chdb import session


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    sess = session.Session()
    out = {"version": sess.query("SELECT version()", "TSV").bytes().decode().strip(), "checks": {}}
    for step in job["steps"]:
        if "sql" in step:
            run(sess, step["sql"])
        elif "insert" in step:
            with open(step["file"]) as f:
                data = f.read()
            if data.strip():
                run(sess, "INSERT INTO %s FORMAT JSONEachRow\n%s" % (step["insert"], data))
        elif "check" in step:
            results = {}
            for q in step["queries"]:
                results[q["name"]] = run(sess, q["sql"], "TSV")
            out["checks"][step["check"]] = results
    json.dump(out, sys.stdout)
    sess.close()


def run(sess, sql, fmt="CSV"):
    try:
        return sess.query(sql, fmt).bytes().decode()
    except Exception as e:  # chdb raises its own error types
        sys.stderr.write("chdb %s failed:\n%s\n-- statement:\n%s\n" % (chdb.__version__, e, sql))
        sys.exit(1)


if __name__ == "__main__":
    main()
