"""TensorFlow's two flag objects, rebuilt without TensorFlow (too big to install for tests).

``_FlagValuesWrapper`` copies the shape of TensorFlow 2's ``tf.compat.v1.flags.FLAGS``
(``tensorflow/python/platform/flags.py``): a wrapper around absl's FlagValues whose unknown
attribute reads parse ``sys.argv``. It is used as ``_FlagValuesWrapper(absl_flag_values)``.

The module-level ``_FlagValues``, ``FLAGS`` and ``DEFINE_*`` replicate the legacy
``tf.app.flags`` module (TensorFlow < 1.4): flags are argparse options on a global parser,
and ``FLAGS.__flags`` is filled from it on the first read of any flag. Use this module the
way users used ``tf.app.flags``::

    flags = tf_style_flags
    flags.DEFINE_integer("batch_size", 128, "Batch size.")
    config.update(flags.FLAGS)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


class _FlagValuesWrapper:
    """A copy of the shape of TensorFlow's wrapper around absl's FLAGS."""

    def __init__(self, flags_object: Any) -> None:
        self.__dict__["__wrapped"] = flags_object

    def __getattribute__(self, name: str) -> Any:
        if name == "__dict__":
            return super().__getattribute__(name)
        return self.__dict__["__wrapped"].__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        wrapped = self.__dict__["__wrapped"]
        # To maintain backwards compatibility, implicitly parse flags when reading them.
        if not wrapped.is_parsed():
            wrapped(sys.argv, known_only=True)
        return wrapped.__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> Any:
        return self.__dict__["__wrapped"].__setattr__(name, value)

    def __delattr__(self, name: str) -> Any:
        return self.__dict__["__wrapped"].__delattr__(name)

    def __dir__(self) -> Any:
        return self.__dict__["__wrapped"].__dir__()

    def __getitem__(self, name: str) -> Any:
        return self.__dict__["__wrapped"].__getitem__(name)

    def __setitem__(self, name: str, flag: Any) -> Any:
        return self.__dict__["__wrapped"].__setitem__(name, flag)

    def __len__(self) -> Any:
        return self.__dict__["__wrapped"].__len__()

    def __iter__(self) -> Any:
        return self.__dict__["__wrapped"].__iter__()

    def __str__(self) -> Any:
        return self.__dict__["__wrapped"].__str__()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["__wrapped"].__call__(*args, **kwargs)


# -- legacy tf.app.flags (TensorFlow < 1.4) ----------------------------------------------

_global_parser = argparse.ArgumentParser()


class _FlagValues:
    """Global container and accessor for flags and their values."""

    def __init__(self) -> None:
        self.__dict__["__flags"] = {}
        self.__dict__["__parsed"] = False

    def _parse_flags(self, args: list[str] | None = None) -> list[str]:
        result, unparsed = _global_parser.parse_known_args(args=args)
        for flag_name, val in vars(result).items():
            self.__dict__["__flags"][flag_name] = val
        self.__dict__["__parsed"] = True
        return unparsed

    def __getattr__(self, name: str) -> Any:
        """Retrieves the 'value' attribute of the flag --name."""
        try:
            parsed = self.__dict__["__parsed"]
        except KeyError:
            # May happen during pickle.load or copy.copy
            raise AttributeError(name) from None
        if not parsed:
            self._parse_flags()
        if name not in self.__dict__["__flags"]:
            raise AttributeError(name)
        return self.__dict__["__flags"][name]

    def __setattr__(self, name: str, value: Any) -> None:
        """Sets the 'value' attribute of the flag --name."""
        if not self.__dict__["__parsed"]:
            self._parse_flags()
        self.__dict__["__flags"][name] = value


def _define_helper(flag_name: str, default_value: Any, docstring: str, flagtype: Any) -> None:
    """Registers 'flag_name' with 'default_value' and 'docstring'."""
    _global_parser.add_argument(
        "--" + flag_name, default=default_value, help=docstring, type=flagtype
    )


def DEFINE_string(flag_name: str, default_value: str | None, docstring: str) -> None:
    """Defines a flag of type 'string'."""
    _define_helper(flag_name, default_value, docstring, str)


def DEFINE_integer(flag_name: str, default_value: int | None, docstring: str) -> None:
    """Defines a flag of type 'int'."""
    _define_helper(flag_name, default_value, docstring, int)


FLAGS = _FlagValues()


def reset_legacy_flags() -> None:
    """A fresh global parser and FLAGS, so that each test defines its own flags."""
    global _global_parser, FLAGS
    _global_parser = argparse.ArgumentParser()
    FLAGS = _FlagValues()
