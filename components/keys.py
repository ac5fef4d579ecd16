"""Session-state keys, in one place. Widget keys are namespaced by page: ``"<page>.<name>"``.

Pages and components use these constants, never a string of their own (tests/unit/test_architecture.py
checks it); a component may derive its widgets' keys from the ``key`` its caller passes.
"""

CATALOG_DATABASE = "catalog.database"
CATALOG_TABLE = "catalog.table"
CATALOG_PENDING = "catalog.pending"  # (database, table, message) to select after an import

QUERY_SQL = "query.sql"
QUERY_DATABASE = "query.database"
QUERY_ID = "query.id"  # the execution whose result the Query page shows
QUERY_ERROR = "query.error"  # (message, hint) of the last failed run, shown above the kept SQL
QUERY_ESTIMATE = "query.estimate"  # ScanEstimate of the last run or estimate
QUERY_AUTORUN = "query.autorun"  # run the editor's SQL on this run ('Run again' from history)
QUERY_HISTORY_SEARCH = "query.history_search"
QUERY_SAVED = "query.saved"

TRAIN_DATABASE = "train.database"
TRAIN_TABLE = "train.table"

JOBS_SELECTED = "jobs.selected"  # the job the Jobs page shows
JOBS_STARTED = "jobs.started"  # a job the Models tab just started: selected on the next run, before the picker exists

BIAS_SOURCE_KIND = "bias.source_kind"
BIAS_DATABASE = "bias.database"
BIAS_TABLE = "bias.table"
BIAS_SQL = "bias.sql"
BIAS_REPORT = "bias.report"  # the BiasReport shown
BIAS_JOB = "bias.job"  # the bias job being watched
BIAS_ERROR = "bias.error"  # (message, hint) of the last failure

EXPLAIN_MODEL = "explain.model"
EXPLAIN_JOB = "explain.job"  # the explanation shown
EXPLAIN_REUSED = "explain.reused"  # the job name start_job returned finished (a cached result)
EXPLAIN_ATTRIBUTION = "explain.attribution"  # the last TokenAttribution (one review: small)
EXPLAIN_QUICK_RESULT = "explain.quick_result"  # the last QuickModelResult

COMPARE_FILTER = "compare.filter"  # the Compare page's filter (the Jobs page hands a job name over)

ENDPOINTS_SELECTED = "endpoints.selected"  # the endpoint whose details are shown
ENDPOINTS_WATCHING = "endpoints.watching"  # (name, started monotonic) of a deploy still Creating
ENDPOINTS_CONFIRM_DELETE = "endpoints.confirm_delete"  # the endpoint a delete waits confirmation for
ENDPOINTS_NOTICE = "endpoints.notice"  # (kind, message) shown once after a rerun

SCORE_ENDPOINT = "score.endpoint"  # the endpoint the Score page scores with (the Endpoints page hands it over)
SCORE_REVIEW_TEXT = "score.review.text"
SCORE_SCORED = "score.scored"  # how many reviews this session scored: each result gets fresh widgets (its own class picker)
SCORE_RESULT = "score.result"  # (endpoint, text or record, ScoreResult) of the last prediction
SCORE_HISTORY = "score.history"  # the session's scored reviews, newest first
SCORE_BATCH_JOB = "score.batch_job"  # (job name, output table) of a batch still running
SCORE_BATCH_DONE = "score.batch_done"  # (job name, output table) whose charts are shown
SCORE_BATCH_ERROR = "score.batch_error"
SCORE_DRIFT = "score.drift"  # (endpoint, DriftReport)
SCORE_CAPTURE = "score.capture"  # (endpoint, capture table)

AUTH_LOGGED_IN = "auth.logged_in"  # True once this session gave the right password
AUTH_FORM = "auth.login"
AUTH_PASSWORD = "auth.password"
AUTH_LOGOUT = "auth.logout"

PIPELINES_SELECTED = "pipelines.selected"  # the pipeline the Pipelines page shows
PIPELINES_EXECUTION = "pipelines.execution"  # the execution whose DAG is shown
PIPELINES_STEP = "pipelines.step"  # the step whose detail is shown
PIPELINES_NOTICE = "pipelines.notice"  # (kind, message) shown once after an action
PIPELINES_WATCHED = "pipelines.watched"  # an execution the page saw running: rerun in full once it finishes

LINEAGE_KIND = "lineage.kind"  # what the query starts from: table | model | endpoint | job | arn
LINEAGE_DIRECTION = "lineage.direction"  # upstream | downstream | both (the one-click questions set it)
LINEAGE_DEPTH = "lineage.depth"
LINEAGE_START = "lineage.start"  # (kind, entity) another page hands over ("Show lineage"): selected on the next run

MODEL_DASHBOARD_FILTERS = "model_dashboard.filters"  # prefix of the filter widgets' keys
MODEL_DASHBOARD_GROUP = "model_dashboard.group"  # the group whose versions are shown
MODEL_DASHBOARD_DETAIL = "model_dashboard.detail"  # prefix of the detail's widget keys (version, approve, reject)
MODEL_DASHBOARD_NOTICE = "model_dashboard.notice"  # (kind, message) shown once after an approval

FEATURES_SEARCH = "features.search"  # the search box: name, description, feature name or tag
FEATURES_SELECTED = "features.selected"  # the feature group whose detail is shown
FEATURES_NOTICE = "features.notice"  # (kind, message) shown once after an action
FEATURES_TAB = "features.tab"  # the open tab of a group (Overview, Ingest, Look up, Build dataset, Create group)
FEATURES_HAND_OVER = "features.hand_over"  # {widget key: value} to select on the next run, before the widgets exist
FEATURES_INGESTION = "features.ingestion"  # (group, job name) of the ingestion the page shows
FEATURES_WATCHED = "features.watched"  # an ingestion the page saw running: its fragment reruns the page once it finishes
FEATURES_INGEST_KIND = "features.ingest.kind"  # table | sql | file
FEATURES_INGEST_TABLE = "features.ingest.table"  # the catalog table to ingest (Create group hands its source over)
FEATURES_INGEST_SQL = "features.ingest.sql"  # the SQL to ingest (the demo group hands its query over)
FEATURES_LOOKUP = "features.lookup"  # (group, record id, record or None) of the last look-up
FEATURES_DATASET = "features.dataset"  # the DatasetResult of the last build

QUALITY_SOURCE_KIND = "quality.source_kind"  # Catalog table | SQL query (the Catalog and Query pages hand it over)
QUALITY_DATABASE = "quality.database"
QUALITY_TABLE = "quality.table"
QUALITY_SQL = "quality.sql"
QUALITY_SQL_DATABASE = "quality.sql_database"  # the database for bare table names in the SQL
QUALITY_TARGET = "quality.target"
QUALITY_REPORT = "quality.report"  # (QualityRequest, QualityReport) of the report shown

LABEL_SOURCE_KIND = "label.source_kind"  # Endpoint | Catalog table
LABEL_ENDPOINT = "label.endpoint"  # the endpoint whose captured requests are labelled
LABEL_DATABASE = "label.database"
LABEL_TABLE = "label.table"
LABEL_ID_COLUMN = "label.id_column"
LABEL_TEXT_COLUMN = "label.text_column"
LABEL_PREDICTION_COLUMN = "label.prediction_column"  # optional, for a table source
LABEL_PROBABILITY_COLUMN = "label.probability_column"  # optional, for a table source
LABEL_ORDER = "label.order"  # uncertainty | random
LABEL_SHOW_PREDICTION = "label.show_prediction"
LABEL_LABELLER = "label.labeller"  # who is labelling (kept for the session)
LABEL_NOTICE = "label.notice"  # (kind, message) of the last action (label, skip, undo), shown on the next run
LABEL_ERROR = "label.error"  # a ServiceError a button's callback met, shown on the next run
LABEL_IMPORT_FILE = "label.import.file"
LABEL_IMPORT_RESULT = "label.import.result"  # (endpoint, ImportResult) of the last import
LABEL_RETRAIN_DATABASE = "label.retrain.database"
LABEL_RETRAIN_TABLE = "label.retrain.table"
LABEL_RETRAIN_TEXT_COLUMN = "label.retrain.text_column"
LABEL_RETRAIN_LABEL_COLUMN = "label.retrain.label_column"
LABEL_RETRAINED = "label.retrained"  # (database, table, rows appended) of the last append
LABEL_ITEM = "label.item"  # prefix of the item's buttons: .class.<n> (keys 1…9), .skip (S)
LABEL_NEW_CLASS = "label.new_class"  # the typed-class form (table sources): .text
LABEL_UNDO = "label.undo"  # Undo (U)
LABEL_PROGRESS = "label.progress"  # prefix of the progress widgets
LABEL_OPEN_ENDPOINTS = "label.open_endpoints"  # no endpoint captures: to the Endpoints page
LABEL_OPEN_MONITORING = "label.open_monitoring"  # the queue is done: to the Monitoring page on this endpoint
LABEL_IMPORT_RUN = "label.import.run"
LABEL_IMPORT_VIEW = "label.import.result_view"  # prefix of the import result's widgets
LABEL_EXPORT = "label.export"
LABEL_RETRAIN_RUN = "label.retrain.run"
LABEL_RETRAIN_TRAIN = "label.retrain.train"  # Train on it, after the append

JOBS_DEBUGGER = "jobs.debugger"  # prefix of the Jobs page's Debugger section widgets
JOBS_DEBUGGER_NOTIFIED = "jobs.debugger.notified"  # set of "job/rule" already announced with a toast

MONITORING_ENDPOINT = "monitoring.endpoint"  # the endpoint whose monitors are shown
MONITORING_TYPE = "monitoring.type"  # the monitor type whose latest report and settings are shown
MONITORING_CONFIGS = "monitoring.configs"  # {monitor type: MonitorConfig} last set, used by Run now and new schedules
MONITORING_NOTICE = "monitoring.notice"  # (kind, message) of the last action, shown on the next run
MONITORING_ERROR = "monitoring.error"  # a ServiceError an action met, shown on the next run
MONITORING_TILES = "monitoring.tiles"  # prefix of the overview tiles' widgets (Run now)
MONITORING_SETTINGS = "monitoring.settings"  # prefix of the run settings' widgets
MONITORING_RUN = "monitoring.run"  # "Run now" under the report, with the settings shown
MONITORING_REPORT = "monitoring.report"  # prefix of the report's widgets (charts, downloads)
MONITORING_SCHEDULE = "monitoring.schedule"  # prefix of the schedule form's and list's widgets
MONITORING_DELETE = "monitoring.delete"  # delete the picked schedule
MONITORING_OPEN_LABEL = "monitoring.open_label"  # to the Label page on this endpoint
MONITORING_OPEN_ENDPOINTS = "monitoring.open_endpoints"  # to the Endpoints page (no endpoints yet)

COMPARE_TRAIN = "compare.train"  # empty state: to the Train page
JOBS_TRAIN = "jobs.train"  # empty state: to the Train page
JOBS_DEPLOY = "jobs.deploy"  # Models tab: deploy the picked model (to the Endpoints page)
JOBS_EXPLAIN = "jobs.explain"  # Models tab: explain the picked model (to the Explain page)
ENDPOINTS_DEPLOY_MODEL = "endpoints.deploy_model"  # a model handed over to deploy: the Endpoints deploy form opens on it

EXPORT_DOWNLOAD = "export.download"  # the Export page's download button
EXPORT_REFRESH = "export.refresh"  # read the session again

TOUR_MEMORY = "tour.memory"  # TourMemory: what earlier steps made (query id, job, model id, run id, endpoint)
TOUR_RESULTS = "tour.results"  # {step key: its result} (small: a grouped query, a report, a job, a ranking, …)
TOUR_ERRORS = "tour.errors"  # {step key: the ServiceError its last run met}
TOUR_STARTED = "tour.started"  # {step key: monotonic time a background step (train, deploy) started}
TOUR_STEP = "tour.step"  # prefix of each step's widgets: tour.step.<key>.run

EXPLAIN_EXPLAINED = "explain.explained"  # how many reviews this session explained: each attribution gets a fresh class picker

BIAS_FORM_OPEN = "bias.form_open"  # the data-and-configuration expander: closed once a report is shown, so it comes first
BIAS_COLLAPSE = "bias.collapse"  # a report just arrived: close the configuration on the next run
QUERY_EDITOR_OPEN = "query.editor_open"  # the SQL editor's expander: closed after a successful run, so results come first
QUERY_FAILED_SQL = "query.failed_sql"  # the SQL whose run raised QUERY_ERROR: the error shows only while the editor holds it
JOBS_MODELS_TRAIN = "jobs.models_train"  # Models tab empty state: to the Train page
EXPORT_OPEN_TOUR = "export.open_tour"  # empty session: to the Tour page
ENDPOINTS_DEPLOY_FORM_MODEL = "endpoints.deploy.model"  # the deploy form's model picker (render_deploy_form key "endpoints.deploy")
JOBS_BATCH = "jobs.batch"  # prefix of the Models tab's batch form (the Score page's render_batch_form)
JOBS_BATCH_TABLE = "jobs.batch.table"  # that form's table picker (read for its "Show the code")
JOBS_BATCH_OUTPUT = "jobs.batch.output"  # that form's output table
