"""Shared plumbing of the Python compat suites: named steps, failures that name the step they
happened in, and an overall time budget so a hung broker fails the suite instead of stalling it.
"""
import os
import signal
import sys
import traceback

_step = 'startup'


def step(name):
    global _step
    _step = name
    print(f'== {name}', flush=True)


def fail(msg):
    print(f'FAIL during step "{_step}": {msg}', flush=True)
    sys.exit(1)


def known_samsa_difference(ok, reason):
    """An assertion known to fail on Samsa only (listed in compat-tests/FINDINGS.md, "Python
    clients"): on Samsa (SAMSA_COMPAT_BROKER=samsa) a failure prints the reason and goes on; on
    Kafka it fails as any assertion does."""
    if ok:
        return
    if os.environ.get('SAMSA_COMPAT_BROKER') == 'samsa':
        print(f'   known Samsa difference: {reason}', flush=True)
        return
    fail(reason)


def time_budget(seconds):
    def on_alarm(signum, frame):
        fail(f'timed out (overall {seconds} s budget); the broker may have hung on the request above')

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)


def suite_args():
    """The suite's command line: BOOTSTRAP TOPIC_PREFIX."""
    if len(sys.argv) != 3:
        print(f'usage: {sys.argv[0]} BOOTSTRAP TOPIC_PREFIX', file=sys.stderr)
        sys.exit(2)
    return sys.argv[1], sys.argv[2]


def run(main):
    """Runs a suite's main: a failed assertion or an unexpected error fails naming the step."""
    try:
        main()
    except AssertionError as e:
        fail(str(e))
    except SystemExit:
        raise
    except BaseException as e:
        traceback.print_exc()
        fail(f'{type(e).__name__}: {e}')


# librdkafka (confluent-kafka) reports connection and protocol problems through error_cb rather
# than raising; the suites collect them and mention them at the end.
client_errors = []


def error_cb(err):
    client_errors.append(str(err))
    print(f'   client error_cb: {err}', flush=True)


def librdkafka_config(bootstrap, client_id):
    return {'bootstrap.servers': bootstrap, 'client.id': client_id, 'error_cb': error_cb, 'broker.address.family': 'v4'}


def report_client_errors():
    if client_errors:
        print(f'   note: client reported {len(client_errors)} error(s) via error_cb', flush=True)
