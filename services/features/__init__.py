"""Feature Store: feature groups with an online store (latest record per identifier) and an offline store
(append-only Parquet catalogued in ``sagemaker_featurestore``), ingestion jobs and a point-in-time dataset builder."""
