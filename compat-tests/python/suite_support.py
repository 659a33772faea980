"""Shared plumbing of the Python compat suites: named steps, failures that name the step they
happened in, and an overall time budget so a hung broker fails the suite instead of stalling it.
"""
import signal
import sys

_step = 'startup'


def step(name):
    global _step
    _step = name
    print(f'== {name}', flush=True)


def fail(msg):
    print(f'FAIL during step "{_step}": {msg}', flush=True)
    sys.exit(1)


def time_budget(seconds):
    def on_alarm(signum, frame):
        fail(f'timed out (overall {seconds} s budget); the broker may have hung on the request above')

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
