# The users' Python client, as it talks to the REST API: dill, base64 (codecs) and requests only.
# Usage: python3 python-rest-client.py URL SCENARIO [ARG]; prints one JSON line of what it saw.
import codecs, json, sys, time

import dill
import requests

URL = sys.argv[1]


def serialize(obj):
    return codecs.encode(dill.dumps(obj), "base64").decode()


def deserialize(text):
    return dill.loads(codecs.decode(text.encode(), "base64"))


def register(fn, name=None):
    resp = requests.post(URL + "/register_function", json={"name": name or fn.__name__, "payload": serialize(fn)})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["function_id"]


def execute(fid, *args, **kwargs):
    resp = requests.post(URL + "/execute_function", json={"function_id": fid, "payload": serialize((args, kwargs))})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["task_id"]


def result(tid, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        body = requests.get(URL + "/result/" + tid).json()
        if body["status"] in ("COMPLETED", "FAILED"):
            return body["status"], deserialize(body["result"])
        time.sleep(0.02)
    raise TimeoutError("task %s did not finish" % tid)


def describe(value):
    if isinstance(value, BaseException):
        return {"exception": type(value).__name__, "message": str(value)}
    return {"value": value}


def add(x, y=10):
    return x + y


def fail(msg):
    raise ValueError(msg)


def shout():
    print("printed by python")
    return "shouted"


def sleepy():
    import time
    time.sleep(60)


class Marker:
    """Unpickling this runs eval: it appends 'pid uid' to the marker file, then gives the function to call."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        code = "(open(%r, 'a').write('%%d %%d\\n' %% (__import__('os').getpid(), __import__('os').getuid())), lambda: 'ran')[1]" % self.path
        return (eval, (code,))


def main():
    scenario = sys.argv[2]
    out = {}
    if scenario == "basics":
        fid = register(add)
        out["add"] = [describe(result(execute(fid, 1, 2))[1]), describe(result(execute(fid, 1, y=5))[1]), describe(result(execute(fid, "a", y="b"))[1])]
        out["fail"] = list(result(execute(register(fail), "bad input")))
        out["fail"][1] = describe(out["fail"][1]) | {"isinstance_ValueError": isinstance(out["fail"][1], ValueError)}
        out["shout_task"] = execute(register(shout))
        out["shout"] = describe(result(out["shout_task"])[1])
        out["js_and_python"] = requests.post(URL + "/register_function", json={"name": "js", "payload": "(x) => x * 2"}).status_code
        timed = requests.post(URL + "/execute_function", json={"function_id": register(sleepy), "payload": serialize(((), {})), "timeout_seconds": 0.5}).json()["task_id"]
        status, err = result(timed)
        out["timeout"] = [status, describe(err), isinstance(err, TimeoutError)]
        out["after_timeout"] = describe(result(execute(fid, 2, 3))[1])
    elif scenario == "register-marker":
        out["function_id"] = register(Marker(sys.argv[3]), "marker")
    elif scenario == "execute":
        status, value = result(execute(sys.argv[3]))
        out = {"status": status, "result": describe(value)}
    elif scenario == "noop":
        fid = register(add)
        out = {"status": result(execute(fid, 1))[0]}
    print(json.dumps(out))


main()
