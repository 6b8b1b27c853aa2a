"""Python's reference client (Debian python3-mwoauth) against devwiki: initiate, then wait for the
callback URL on stdin (the test approves through devwiki.approve), complete, identify, and a signed
api.php userinfo request with requests_oauthlib. Prints one JSON line per step on stdout.

usage: handshake.py INDEX_URL API_URL CONSUMER_KEY CONSUMER_SECRET
"""
import json
import sys

from mwoauth import ConsumerToken, complete, identify, initiate
from requests_oauthlib import OAuth1
import requests

USER_AGENT = "next-mwoauth devwiki interop test (python3-mwoauth)"


def say(step, **data):
    print(json.dumps({"step": step, **data}), flush=True)


def main():
    index_url, api_url, key, secret = sys.argv[1:5]
    consumer = ConsumerToken(key, secret)
    redirect, request_token = initiate(index_url, consumer, user_agent=USER_AGENT)
    say("initiate", redirect=redirect, request_token=request_token.key)
    callback = sys.stdin.readline().strip()
    query = callback.split("?", 1)[1]
    access_token = complete(index_url, consumer, request_token, query, user_agent=USER_AGENT)
    say("complete", access_token=access_token.key)
    identity = identify(index_url, consumer, access_token, user_agent=USER_AGENT)
    say("identify", identity=identity)
    auth = OAuth1(key, client_secret=secret, resource_owner_key=access_token.key,
                  resource_owner_secret=access_token.secret)
    r = requests.get(api_url, params={"action": "query", "meta": "userinfo", "uiprop": "groups|rights",
                                      "format": "json", "formatversion": "2"},
                     auth=auth, headers={"User-Agent": USER_AGENT}, timeout=10)
    say("userinfo", status=r.status_code, body=r.json())


if __name__ == "__main__":
    main()
