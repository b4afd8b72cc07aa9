"""The app's own session-state keys, in one place: one name per thing, no bare strings.

Widget keys are not here: a settings field's name is its widget key and URL parameter
(ui/controls/settings.py). These are the values the app keeps beside the widgets; the leading underscore
keeps them out of the settings' namespace.
"""
CSV_X = "_csv_x"                    # (timesteps, features) array parsed from the uploaded CSV
CSV_NAME = "_csv_name"              # the uploaded file's name
CSV_ERROR = "_csv_error"            # why the last upload was refused
URL_WRITTEN = "_url_written"        # the URL values this session last wrote
URL_WARNINGS = "_url_warnings"      # warnings about invalid URL values, kept across reruns
URL_WARNED_CONFIG = "_url_warned_config"  # the config those warnings were about
URL_APPLIED = "_url_applied"        # the URL of the session's first run has been read
CROSSCHECK_REQUESTS = "_crosscheck_requests"  # [(key, lab, rerun)] waiting for the page's end
EXPORTS_OPEN_FOR = "_exports_open_for"        # the view the downloads were built for
QUIZ_ERROR = "_quiz_error"          # why the last answer could not be read
QUIZ_PROGRESS = "_quiz_progress"    # quiz set -> answers given
TRAIN_RESULT = "_train_result"      # the last training run's result
TRAIN_REQUESTED = "_train_requested"  # the Train button was pressed (set in its on_click)
TRAIN_DRAW = "_train_draw"          # sampling seed, advanced by each draw
TRAIN_PREFIX_VOCAB = "_train_prefix_vocab"  # the vocabulary the prefix was checked against
