from __future__ import annotations

import threading
import time

from rvwheels.locks import exclusive


def test_a_second_holder_waits_and_is_told(tmp_path):
    lock = tmp_path / "x.lock"
    order, waited = [], []
    entered = threading.Event()

    def first():
        with exclusive(lock):
            entered.set()
            time.sleep(0.3)
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait()
    with exclusive(lock, on_wait=lambda: waited.append(True)):
        order.append("second")
    thread.join()
    assert order == ["first", "second"] and waited == [True]
