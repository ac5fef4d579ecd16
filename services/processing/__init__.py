"""Processing jobs (SageMaker Processing): the port (``base.py``), the contract both backends share
(``contract.py``), the local engine (``job.py``, ``runtime.py``, ``lake.py``, ``images.py``), the adapters
(``local.py``, ``aws.py``), the built-in scripts (``templates/``) and the command line (``cli_processing.py``)."""
