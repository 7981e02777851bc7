"""Glue shared by the thin rule scripts: logging into the rule's log file and one-line errors."""

import logging
import sys

from .errors import InputError


def run_rule(main, snakemake):
    """Run ``main(snakemake)``, logging to the rule's log; bad input ends the job with one line."""
    log_path = snakemake.log[0] if len(snakemake.log) else None
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        handlers=handlers, force=True)
    try:
        main(snakemake)
    except InputError as err:
        logging.getLogger(snakemake.rule).error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
