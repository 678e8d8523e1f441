"""label-irst generators: list the point-to-mask generators."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("generators", help="list the point-to-mask generators")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.core.generators import DEFAULT_GENERATOR, available

    for spec in available():
        mark = "*" if spec.name == DEFAULT_GENERATOR else " "
        print(f"{mark} {spec.name:<10} {spec.summary}")
    return 0
