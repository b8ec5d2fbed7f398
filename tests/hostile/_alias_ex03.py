"""ex03_training that holds no code: its module hands out whatever the reference's module has,
found in sys.modules once a check has loaded it (the reference's functions then run with only the
check's frames above them). Graded by test_a_module_handing_out_the_reference_is_cheating."""
import sys


def __getattr__(name):
    if not name.startswith("__"):
        for key, module in list(sys.modules.items()):
            if key.startswith("_tocha_ref_") and key.endswith(".ex03_training"):
                return getattr(module, name)
    raise AttributeError(name)
