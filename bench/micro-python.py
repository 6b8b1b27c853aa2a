"""The Python peer of section 5 (bench/micro.ts runs it with /usr/bin/python3): the reference
client's operations, timed as bench/micro-protocol.ts times the Node ones. mwoauth signs through
requests-oauthlib, which signs with oauthlib.oauth1.Client; it verifies identify's JWT with PyJWT's
jwt.decode (HS256). Reads {plan, input} as JSON on stdin, writes one JSON line on stdout; when a
module is missing it answers {"error": ...} instead (the row then says "not measured").
"""

import json
import platform
import sys
import time


def measure(plan, op):
    def batch(n):
        start = time.perf_counter_ns()
        for _ in range(n):
            op()
        return (time.perf_counter_ns() - start) / 1e6

    warm_end = time.perf_counter() + plan["warmupMs"] / 1000
    while time.perf_counter() < warm_end:
        batch(1)
    per_batch = 1
    while batch(per_batch) < plan["minBatchMs"]:
        per_batch *= 2
    times = sorted(batch(per_batch) * 1000 / per_batch for _ in range(plan["batches"]))
    return {
        "usPerOp": times[len(times) // 2],
        "min": times[0],
        "max": times[-1],
        "perBatch": per_batch,
        "batches": plan["batches"],
    }


def main():
    request = json.load(sys.stdin)
    plan, case = request["plan"], request["input"]
    try:
        import jwt
        import oauthlib
        from oauthlib.oauth1 import Client
    except ImportError as error:
        json.dump({"error": f"{error} (Debian: apt-get install python3-requests-oauthlib python3-jwt)"}, sys.stdout)
        return

    sign = case["sign"]
    client = Client(
        sign["consumer"]["key"],
        client_secret=sign["consumer"]["secret"],
        resource_owner_key=sign["token"]["key"],
        resource_owner_secret=sign["token"]["secret"],
    )
    token = case["jwt"]
    # PyJWT reads the clock itself: a leeway as large as the recorded token's age keeps exp valid,
    # as bench/micro-node.ts passes the recording's time to jose.
    leeway = max(0, time.time() - token["nowMs"] / 1000) + 60

    def verify():
        return jwt.decode(
            token["token"],
            token["consumerSecret"],
            algorithms=["HS256"],
            audience=token["consumerKey"],
            issuer=token["issuer"],
            leeway=leeway,
        )

    if verify()["nonce"] != token["nonce"]:
        raise SystemExit("the recorded JWT does not decode to its nonce")
    result = {
        "runtime": f"Python {platform.python_version()}, oauthlib {oauthlib.__version__}, PyJWT {jwt.__version__}",
        "ops": {
            "sign": measure(plan, lambda: client.sign(sign["url"], http_method=sign["method"])),
            "verify": measure(plan, verify),
        },
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


main()
