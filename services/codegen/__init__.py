"""The equivalent code on AWS for a workbench action (awswrangler and the SageMaker Python SDK 3.x); the public
functions are in ``services.codegen.models`` (pure: parameters in, Python source out)."""
