"""Reading our CloudFormation templates, and cutting them down to what moto can deploy."""
from __future__ import annotations

import json
import re
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "infra" / "cloudformation"
REGION = "ap-northeast-2"
STACK_ORDER = ("registry", "network", "data", "app", "crawlers", "pipeline")


def load_template(name: str) -> dict:
    """A template as plain JSON data, short-form tags (!Sub, !Ref) turned into long form."""
    template, matches = decode(str(TEMPLATES / f"{name}.yaml"))
    if template is None:
        raise ValueError(f"{name}.yaml does not parse: {[str(m) for m in matches]}")
    return json.loads(json.dumps(template))


def _references(node) -> set[str]:
    """Logical ids a piece of template refers to (Ref, GetAtt, ${...} in Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
            found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def moto_subset(template: dict, supported_types: set[str],
                unresolvable_outputs: frozenset[str] = frozenset()) -> tuple[dict, list[str]]:
    """The template without resources moto's CloudFormation cannot create, nor anything that
    refers to them. Returns the reduced template and the dropped logical ids (sorted)."""
    resources = dict(template["Resources"])
    dropped = {lid for lid, res in resources.items() if res["Type"] not in supported_types}
    changed = True
    while changed:
        changed = False
        for lid, res in resources.items():
            if lid not in dropped and (_references(res) | set(_as_list(res.get("DependsOn")))) & dropped:
                dropped.add(lid)
                changed = True
    outputs = {name: out for name, out in template.get("Outputs", {}).items()
               if name not in unresolvable_outputs and not (_references(out) & dropped)}
    reduced = dict(template, Resources={k: v for k, v in resources.items() if k not in dropped},
                   Outputs=outputs)
    return reduced, sorted(dropped)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
