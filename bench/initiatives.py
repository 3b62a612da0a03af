"""Initiatives benchmark: partner suggestions, roll-ups, network totals and the initiative page,
on a database that seed-demo already filled (not a timed test).

    export NETWORK_DATABASE_URL=sqlite:////tmp/demo/demo.sqlite3 NETWORK_INSTANCE_PATH=/tmp/demo
    .venv/bin/flask --app network db upgrade && .venv/bin/flask --app network load-reference
    .venv/bin/flask --app network seed-demo --orgs 20000
    .venv/bin/python bench/initiatives.py [--runs 20]

Prints the median and p95 in milliseconds over the demo's initiatives (warm caches).
"""

import argparse
import statistics
import time

from sqlalchemy import select

from network import create_app
from network.extensions import db
from network.models import Initiative, User


def measure(fn, runs: int) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--initiatives", type=int, default=10)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        from network.services import initiatives, outcomes, suggestions

        admin = db.session.scalar(select(User).where(User.role == "admin"))
        slugs = list(db.session.scalars(select(Initiative.slug).order_by(Initiative.id).limit(args.initiatives)))
        rows = {"suggest_partners": [], "roll_up": [], "initiative page": []}
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = admin.get_id()
        for slug in slugs:
            initiative = initiatives.find_initiative(slug)
            # measure() runs each lambda before the loop moves on, so the late binding is harmless.
            rows["suggest_partners"].append(measure(lambda: suggestions.suggest_partners(initiative), args.runs))  # noqa: B023
            rows["roll_up"].append(measure(lambda: outcomes.roll_up(initiative), args.runs))  # noqa: B023
            rows["initiative page"].append(measure(lambda: client.get(f"/initiatives/{slug}"), args.runs))  # noqa: B023
        rows["network_totals"] = [measure(outcomes.network_totals, args.runs)]
        rows["/initiatives list"] = [measure(lambda: client.get("/initiatives"), args.runs)]
        print(f"{db.engine.dialect.name}, {len(slugs)} initiatives, {args.runs} runs each")
        for name, values in rows.items():
            medians, p95s = [m for m, _ in values], [p for _, p in values]
            print(f"  {name:<20} median {statistics.median(medians):7.1f} ms   worst p95 {max(p95s):7.1f} ms")


if __name__ == "__main__":
    main()
