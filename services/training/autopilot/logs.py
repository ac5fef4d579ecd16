"""Send a library's log records (AutoGluon, Optuna) to the job log instead of stderr."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from services.training.algorithms.base import Reporter


class ReporterHandler(logging.Handler):
    """A logging handler writing each record as a line of the job log."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__(logging.INFO)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().strip()
        if message:
            self.reporter.log(f"{record.name.split('.')[0]}: {message}")


@contextmanager
def forwarded_logs(reporter: Reporter, *names: str) -> Iterator[None]:
    """While inside, records of the named loggers go to the job log and not to stderr."""
    handler = ReporterHandler(reporter)
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger.handlers[:], logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers = [handler]
        logger.propagate = False
    try:
        yield
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved):
            logger.handlers = handlers
            logger.propagate = propagate
