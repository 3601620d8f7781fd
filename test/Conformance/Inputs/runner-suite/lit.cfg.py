# A lit suite of the conformance runner on the cases of Inputs/make_cases.py, for runner.test,
# which copies it into its temporary folder. Parameters: conformance (test/Conformance),
# testdata, tinyc_tools_dir, tinyc_src_root.
import os

config.name = "runner"
config.suffixes = []
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.test_source_root
config.tinyc_tools_dir = lit_config.params["tinyc_tools_dir"]
config.tinyc_src_root = lit_config.params["tinyc_src_root"]
config.runner_conformance = lit_config.params["conformance"]
config.runner_testdata = lit_config.params["testdata"]
