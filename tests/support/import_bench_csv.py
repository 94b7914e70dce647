#!/usr/bin/env python3
"""A realistic 100k-row lead CSV for `closer import leads` benchmarks (deterministic).
usage: scripts/import_bench_csv.py ROWS OWNER_EMAIL[,OWNER_EMAIL...] > file.csv"""
import csv, random, sys
rows = int(sys.argv[1]); owners = sys.argv[2].split(',')
rnd = random.Random(1)
first = "Ada Grace Alan Linus Ken Barbara Margaret Edsger Donald John Frances Radia Tim Guido Bjarne Dennis Niklaus Leslie Shafi Whitfield".split()
last = "Lovelace Hopper Turing Torvalds Thompson Liskov Hamilton Dijkstra Knuth Backus Allen Perlman Berners-Lee Rossum Stroustrup Ritchie Wirth Lamport Goldwasser Diffie".split()
companies = ["Acme Realty", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent", "Tyrell", "Cyberdyne"]
stages = ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]
tags = ["vip", "VIP", "referral", "cold", "warm", "enterprise", "smb", "renewal", "churn-risk", "newsletter"]
sources = ["website", "referral", "event", "cold call", "linkedin", "partner"]
w = csv.writer(sys.stdout)
w.writerow(["Name", "Email", "Phone", "Company", "Stage", "Owner email", "Tags", "Source", "Amount", "Lost reason"])
for i in range(rows):
    f, l = rnd.choice(first), rnd.choice(last)
    stage = rnd.choices(stages, weights=[30, 20, 15, 10, 10, 15])[0]
    ntags = rnd.choice([0, 1, 1, 2, 3])
    w.writerow([
        f"{f} {l} {i}",
        f"{f.lower()}.{l.lower()}.{i}@example{i % 97}.test",
        f"+1 ({200 + i // 10000:03d}) 555-{i % 10000:04d}",
        rnd.choice(companies) + ("" if i % 3 else f" {i % 1000}"),
        stage,
        rnd.choice(owners),
        ";".join(rnd.sample(tags, ntags)),
        rnd.choice(sources),
        f"{rnd.randint(1, 500) * 100}.00",
        "Went with a competitor" if stage == "Lost" else "",
    ])
