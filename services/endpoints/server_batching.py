"""Batching an endpoint server's predictions: one thread per model runs everything queued at that moment
(up to ``MAX_BATCH_INSTANCES``) in one call; if a shared call fails, each request is run alone so only the
bad one gets its error. ``run_if_idle`` runs a call on the caller's own thread instead when the model is idle
(nothing running, nothing queued): for a lone small request the two thread hops of a queued call (the model
thread woken, then the event loop woken by the result) cost more than batching gains. One model call runs at a
time either way."""

from __future__ import annotations

import concurrent.futures
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_BATCH_INSTANCES = 64


@dataclass
class _Job:
    instances: list[Any]
    future: concurrent.futures.Future[list[dict[str, Any]]]


class Batcher:
    """One model's predictions on its own thread, several queued requests per call."""

    def __init__(self, name: str, predict: Callable[[list[Any]], list[dict[str, Any]]]) -> None:
        self.predict = predict
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._calling = threading.Lock()  # held while the model runs, on whichever thread
        self._thread = threading.Thread(target=self._loop, name=f"model-{name}", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def submit(self, instances: list[Any]) -> concurrent.futures.Future[list[dict[str, Any]]]:
        future: concurrent.futures.Future[list[dict[str, Any]]] = concurrent.futures.Future()
        self._queue.put(_Job(instances, future))
        return future

    def run_if_idle(self, instances: list[Any]) -> list[dict[str, Any]] | None:
        """The predictions of ``instances`` computed on this thread, or None (nothing run) when a call is
        running or queued; the model's errors are raised."""
        if not self._queue.empty() or not self._calling.acquire(blocking=False):
            return None
        try:
            return self.predict(instances)
        finally:
            self._calling.release()

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs, count, stopping = [job], len(job.instances), False
            while count < MAX_BATCH_INSTANCES and not stopping:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is None:
                    stopping = True
                else:
                    jobs.append(queued)
                    count += len(queued.instances)
            with self._calling:
                self._run(jobs)
            if stopping:
                return

    def _run(self, jobs: list[_Job]) -> None:
        if len(jobs) > 1 and self._run_together(jobs):
            return
        for job in jobs:
            try:
                job.future.set_result(self.predict(job.instances))
            except Exception as exc:  # the request's own error, handed to its handler
                job.future.set_exception(exc)

    def _run_together(self, jobs: list[_Job]) -> bool:
        try:
            results = self.predict([instance for job in jobs for instance in job.instances])
        except Exception:  # one bad request: score each alone so the others still succeed
            return False
        start = 0
        for job in jobs:
            job.future.set_result(results[start:start + len(job.instances)])
            start += len(job.instances)
        return True
