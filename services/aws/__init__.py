"""What the aws adapters share: the boto3 session, error translation, SageMaker clients and names,
S3 helpers, the model-package metadata, the SageMaker job descriptions and the workspace's index of
the jobs started from here.

Imported only when ``WORKBENCH_BACKEND=aws``; nothing here imports a capability package.
"""
