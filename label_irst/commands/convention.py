"""label-irst convention: show, refit, reset, freeze or save a project's annotation convention."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "convention",
        help="show, refit, reset, freeze or save a project's annotation convention",
        description="The convention is the generator's edge margin (and PAMG's homogeneity "
        "floor) fitted to the project's confirmed targets, brush corrections included. Without "
        "an option it is printed; --save writes it as JSON for --convention FILE elsewhere.",
    )
    p.add_argument("project", help="project file (.lirst)")
    p.add_argument("--generator", default=None, help="generator (default: the project's)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--refit", action="store_true", help="fit it anew on the confirmed targets")
    action.add_argument("--reset", action="store_true", help="back to the generator's defaults")
    action.add_argument("--freeze", action="store_true", help="stop refitting it")
    action.add_argument("--unfreeze", action="store_true", help="let the app refit it again")
    p.add_argument("--save", default=None, metavar="FILE", help="also write it as JSON to FILE")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.convention import refit_project
    from label_irst.io.convention import (
        project_convention,
        reset_project_convention,
        save_project_convention,
        write_convention,
    )
    from label_irst.io.project import ProjectStore

    changing = args.refit or args.reset or args.freeze or args.unfreeze
    with ProjectStore.open(args.project, readonly=not changing) as store:
        if args.refit:
            convention = refit_project(store, args.generator)
        elif args.reset:
            convention = reset_project_convention(store, args.generator)
        else:
            convention = project_convention(store, args.generator)
            if args.freeze or args.unfreeze:
                convention.frozen = bool(args.freeze)
                save_project_convention(store, convention)
    if args.save:
        write_convention(args.save, convention)
    print(json.dumps(json.loads(convention.to_json())))
    return 0
