"""Every option of every subcommand says what it does and what it defaults to."""
from __future__ import annotations

import argparse

import pytest

from shared.cli import COMMANDS, command_parser


def _parsers(parser: argparse.ArgumentParser, prog: str):
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{prog} {name}")


def _undocumented(parser: argparse.ArgumentParser) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        text = action.help or ""
        if not text.strip():
            missing.append(f"{name}: no help")
        elif action.option_strings and "default" not in text and "required" not in text:
            missing.append(f"{name}: help does not name its default")
    return missing


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_given_a_subcommand_when_its_options_are_walked_then_each_has_help_naming_its_default(command):
    problems = [f"{prog} {problem}" for prog, parser in _parsers(command_parser(command)[1], f"insertcoin {command}")
                for problem in _undocumented(parser)]
    assert problems == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_given_a_subcommand_when_help_is_formatted_then_defaults_are_filled_in(command):
    for _prog, parser in _parsers(command_parser(command)[1], command):
        assert "%(default)" not in parser.format_help()
