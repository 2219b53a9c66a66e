"""The homolog pytest plugin (entry point `pytest11: homolog`).

Inert unless `--homolog-referential` is given. Then it loads the referential and the
target, turns every applicable (requirement, check, parameters) into one item of
`homolog/cases/_cases.py::test_check`, provides the engine fixtures (`target`, `http`,
`evidence`, `params`, `requirement`) plus the fixtures the suites declare in their
`fixtures.py`, streams one line per finished case into `results.jsonl`, and writes
`run.json` (and the manifest) when the session ends.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from homolog.counterparts import register as register_counterpart

from .attest import load_attestations, load_waivers
from .auth import Authenticator
from .checks import CheckSpec, ParamsError, registry
from .cleanup import Ledger, TestData, clean_up
from .deadlines import DEFAULT_CHECK_TIMEOUT, CheckTimeout, check_deadline, check_timeout
from .errors import CheckError, CheckOutcome, ConfigError, HomologError
from .evidence import SEPARATOR, Evidence, Sanitizer
from .hookspec import decode_setting, settings_problems, suite_plugins
from .http import Connections, HttpClient
from .plan import Case, RunPlan, build_plan
from .referential import Referential, load_referential, search_path
from .runstore import QUARANTINE, BadLine, RunStore, default_out_dir, now_iso
from .secrets import SecretRegistry
from .shard import Shard, read_shard, shard_cases, write_shard
from .shared import SharedState
from .supervisor import GRACE, Slot
from .target import CounterpartEndpoint, Target, load_target
from .verdicts import Verdict

_STATE = pytest.StashKey["RunState"]()
_RESULT = pytest.StashKey[dict[str, Any]]()
_EVIDENCE = pytest.StashKey[Evidence]()
#: Counterparts the caller started (homolog.api.run), described as JSON, by name.
STARTED_COUNTERPARTS = pytest.StashKey[dict[str, Any]]()


class RunState:
    """What the plugin knows about the run in this process."""

    def __init__(self, config: pytest.Config) -> None:
        opt = config.option
        roots = [Path(p) for p in (opt.homolog_paths or [])]
        self.store = RunStore(Path(opt.homolog_out or default_out_dir(opt.homolog_referential)))
        self.resume = bool(opt.homolog_resume)
        self.worker = hasattr(config, "workerinput")
        # a resumed run keeps the referential it started with, whatever is on disk now
        self.referential: Referential = (
            self.store.saved_referential()
            if self.resume
            else load_referential(opt.homolog_referential, roots=search_path(roots))
        )
        self.target: Target = load_target(opt.homolog_target)
        self.attestations = load_attestations(Path(opt.homolog_attestations)) if opt.homolog_attestations else {}
        self.waivers = load_waivers(Path(opt.homolog_waivers)) if opt.homolog_waivers else {}
        # The run's secret values, shared by its processes (an xdist worker joins the
        # controller's registry through its input, never through the disk in clear).
        if self.worker:
            registry = SecretRegistry.joining(config.workerinput.get("homolog_secrets"))  # type: ignore[attr-defined]
        else:
            registry = SecretRegistry.shared()
        self.secrets = registry
        self.sanitizer = Sanitizer(
            self.target.secret_values(), registry=registry, fields=self.target.credential_fields()
        )
        self.authenticator = Authenticator(self.target, register=self.sanitizer.add)
        self.ledger = Ledger(self.store.dir)  # what the run creates or changes on the system
        # One connection pool per process for every check's client: connections to a base
        # are reused from check to check (each check still has its own cookie jar and evidence).
        self.connections = Connections()
        self.plan: RunPlan | None = None
        self.cases: list[Case] = []
        self.done: set[str] = set()
        self.deselected: set[str] = set()
        # key of the case that runs -> the cases of other requirements its execution serves
        self.sharers: dict[str, list[Case]] = {}
        # check id -> whether the engine makes every fixture the check asks for (`_engine_made`)
        self.engine_made: dict[str, bool] = {}
        self.counter = 0
        self.total = 0
        self.shard: Shard | None = Shard.parse(opt.homolog_shard) if opt.homolog_shard else None
        self.share: set[str] | None = None  # keys of the cases of this shard (None: not a shard)
        self.counterparts: dict[str, Any] = {}  # name -> what it adds to the target (JSON)
        self.stack = contextlib.ExitStack()  # counterparts this process started
        # where this process tells the supervisor (homolog.supervisor) which check it runs
        self.slots: str | None = opt.homolog_supervisor
        self.slot: Slot | None = None

    def deadline(self, spec: CheckSpec | None, check_id: str) -> float:
        """Seconds a check may run (`homolog.deadlines.check_timeout`)."""
        return check_timeout(check_id, spec.timeout if spec else None, self.target.timeouts)

    def add_counterparts(self, config: pytest.Config) -> None:
        """Start the target's counterparts (controller) or receive them (workers); extend the target.

        A worker gets the controller's description (its addresses and control URLs);
        the controller starts what the target declares and the caller did not start.
        """
        from homolog.counterparts import declared, describe, start_counterparts

        if self.worker:
            self.counterparts = dict(config.workerinput.get("homolog_counterparts", {}))  # type: ignore[attr-defined]
        else:
            given: dict[str, Any] | None = config.stash.get(STARTED_COUNTERPARTS, None)
            self.counterparts = dict(given or {})
            specs = declared(self.target.raw.get("counterparts"))
            wanted = {k: v for k, v in specs.items() if k not in self.counterparts}
            started = self.stack.enter_context(start_counterparts(wanted))
            self.counterparts |= {name: describe(name, cp) for name, cp in started.items()}
        self.target = self.target.with_counterparts(self.counterparts)
        for value in self.target.secret_values():
            self.sanitizer.add(value)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("homolog", "homolog certification runs")
    group.addoption("--homolog-referential", help="referential: file path, id or id@version")
    group.addoption("--homolog-target", help="target YAML file describing the system under test")
    group.addoption("--homolog-out", help="run directory to write")
    group.addoption("--homolog-resume", action="store_true", help="continue the run in --homolog-out")
    group.addoption("--homolog-attestations", help="attestations YAML file")
    group.addoption("--homolog-waivers", help="waivers YAML file")
    group.addoption("--homolog-shard", metavar="K/N", help="run the K-th of N shares of the cases (homolog.shard)")
    group.addoption("--homolog-path", dest="homolog_paths", action="append", help="extra folder of referentials")
    group.addoption(
        "--homolog-supervisor",
        metavar="DIR",
        help="set by homolog.api.run: the supervisor's slot folder (it holds the run's lock and stops stuck checks)",
    )
    group.addoption(
        "--homolog-setting",
        dest="homolog_settings",
        action="append",
        metavar="DOMAIN.KEY=JSON",
        help="a target setting for this run, replacing the target file's",
    )
    group.addoption(
        "--homolog-default",
        dest="homolog_defaults",
        action="append",
        metavar="DOMAIN.KEY=JSON",
        help="a target setting for this run, where the target file has none",
    )
    # What suites add to a run (e.g. the UI suite's remote browser server), declared through
    # homolog.hookspec by each suite.
    for option in suite_plugins().run_options():
        group.addoption(option.flag, dest=option.dest, metavar=option.metavar, help=f"{option.help} [{option.setting}]")


def active(config: pytest.Config) -> bool:
    return bool(config.getoption("homolog_referential", None))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not active(config):
        return
    if not config.getoption("homolog_target"):
        raise pytest.UsageError("--homolog-target is required with --homolog-referential")
    from homolog.counterparts import CounterpartError

    suites = suite_plugins()
    try:
        state = RunState(config)
        state.target = state.target.with_settings(_overrides(config), _defaults(config))
        problems = settings_problems(suites.settings_schemas(), state.target.raw.get("settings") or {})
        if problems:
            where = state.target.path or "target"
            raise ConfigError(f"{where}: " + "; ".join(problems))
        for name, spec in suites.counterparts().items():
            register_counterpart(name, spec)
        if not state.worker and state.slots is None:
            # homolog.api.run's supervisor holds the lock of a supervised run; here, pytest was run directly
            state.stack.enter_context(state.store.lock())
        state.add_counterparts(config)
        # Tokens are cached for the whole run, in this process only (never on disk).
        state.authenticator = Authenticator(state.target, register=state.sanitizer.add)
        # Applicability, case keys, titles, parameters (the target's overrides) and needs are
        # decided here, once; run.json is assembled from this plan and the results.
        state.plan = build_plan(state.referential, state.target, _title, checks=_spec)
        state.cases = state.plan.cases
        if not state.worker:
            state.store.prepare(state.referential, state.target, resume=state.resume)
            if state.resume:
                _report_quarantined(config, state.store.repair())
                state.store.sweep_evidence()
    except (ConfigError, HomologError, CounterpartError, ValueError) as exc:
        if "state" in locals():
            state.stack.close()
            if not state.worker:
                state.secrets.close()
        raise pytest.UsageError(str(exc)) from None
    config.stash[_STATE] = state
    if state.worker:
        state.done = set(config.workerinput.get("homolog_done", ()))  # type: ignore[attr-defined]
    elif state.resume:
        state.done = set(state.store.results())
    _share(state)
    # The fixtures the suites declare (homolog_fixture_modules), for this run only.
    for name in suites.fixture_modules():
        module = importlib.import_module(name)
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, name)
    config.pluginmanager.register(_Progress(config, state), "homolog-progress")
    config.pluginmanager.register(_SharedExecutions(state), "homolog-executions")
    config.pluginmanager.register(_Together(), "homolog-together")
    if config.getoption("allure_report_dir", None) and not config.pluginmanager.has_plugin("homolog-allure"):
        from .allure_labels import AllureLabels  # allure-pytest writes results: label them

        labelled = AllureLabels(
            state.referential,
            _case_of,
            lambda item: item.stash.get(_EVIDENCE, None),
            lambda case: state.sharers.get(case.key, []),
        )
        config.pluginmanager.register(labelled, "homolog-allure")


def _share(state: RunState) -> None:
    """A shard's cases: recorded when the shard starts, read back when it resumes (the share never moves)."""
    assert state.plan is not None
    recorded = read_shard(state.store.dir) if state.resume or state.worker else None
    if recorded is not None:
        shard, cases = recorded
        if state.shard is not None and state.shard != shard:
            raise pytest.UsageError(f"{state.store.dir} is shard {shard}: it resumes as such, not as {state.shard}")
        state.shard, state.share = shard, set(cases)
    elif state.shard is not None:
        if state.resume:
            raise pytest.UsageError(f"{state.store.dir} is not a shard; it cannot be resumed as --shard {state.shard}")
        cases = shard_cases(state.plan, state.shard, _tags)
        state.share = set(cases)
        if not state.worker:
            write_shard(state.store.dir, state.shard, cases)


def _tags(check_id: str) -> tuple[str, ...]:
    return registry.get(check_id).tags if check_id in registry else ()


def _report_quarantined(config: pytest.Config, bad: list[BadLine]) -> None:
    """Say which lines of results.jsonl a resume found corrupt (they were moved aside)."""
    if not bad:
        return
    tr = config.pluginmanager.getplugin("terminalreporter")
    for line in bad:
        text = f"homolog: {line.describe()}; moved to {QUARANTINE}"
        if tr is not None:
            tr.write_line(text, yellow=True, bold=True)
        else:
            print(text, file=sys.stderr)


def _overrides(config: pytest.Config) -> dict[str, Any]:
    """Settings given on the command line: suite options, then --homolog-setting."""
    out = {}
    for option in suite_plugins().run_options():
        text = config.getoption(option.dest, None)
        if text:
            out[option.setting] = option.value(text)
    return out | dict(decode_setting(s) for s in config.getoption("homolog_settings") or ())


def _defaults(config: pytest.Config) -> dict[str, Any]:
    return dict(decode_setting(s) for s in config.getoption("homolog_defaults") or ())


def _title(check_id: str) -> str:
    return registry.get(check_id).title if check_id in registry else check_id


def _spec(check_id: str) -> CheckSpec | None:
    return registry.get(check_id) if check_id in registry else None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: give workers the controller's list of finished cases (identical collections)."""
    state = node.config.stash.get(_STATE, None)
    if state is not None:
        node.workerinput["homolog_done"] = sorted(state.done)
        node.workerinput["homolog_counterparts"] = state.counterparts
        node.workerinput["homolog_secrets"] = state.secrets.handle()


def pytest_unconfigure(config: pytest.Config) -> None:
    labelled = config.pluginmanager.get_plugin("homolog-allure")
    if labelled is not None:
        labelled.close()
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.stack.close()  # stop the counterparts this run started
        state.connections.close()
        if not state.worker:
            state.secrets.close()
        if state.slot is not None:
            state.slot.close()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: workers collect and deselect; the controller records what they left out."""
    state = node.config.stash.get(_STATE, None)
    output = getattr(node, "workeroutput", None) or {}
    if state is not None:
        state.deselected.update(output.get("homolog_deselected", ()))


def _selection(config: pytest.Config) -> str | None:
    """The command-line expressions that deselect cases, as the user gave them (the shard last)."""
    parts = [
        f"{flag} {value!r}" for flag, value in (("-k", config.option.keyword), ("-m", config.option.markexpr)) if value
    ]
    state = config.stash.get(_STATE, None)
    if state is not None and state.shard is not None:
        parts.append(f"--shard {state.shard}")
    return " ".join(parts) or None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "homolog_case" not in metafunc.fixturenames:
        return
    state = metafunc.config.stash.get(_STATE, None)
    if state is None:
        raise pytest.UsageError("homolog cases need --homolog-referential and --homolog-target")
    metafunc.parametrize("homolog_case", state.cases, ids=[c.test_id for c in state.cases])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    keep, drop = [], []
    for item in items:
        case = _case_of(item)
        if case is None and _is_case_item(item):
            drop.append(item)  # empty parameter set: no case at all
        elif case is not None and case.key in state.done:
            drop.append(item)
        elif case is not None and state.share is not None and case.key not in state.share:
            drop.append(item)  # another shard's case
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` (a run with workers, `_Together`), except that the case a worker
    died in is not run again.

    A check stuck in native code has its worker killed by the run's supervisor, which
    records its verdict (`homolog.supervisor`). xdist's group scheduling puts the
    unfinished cases of a dead worker back in the queue, the one it died in too: the
    replacement worker would run it, get stuck and be killed again, until xdist stops
    replacing workers. Plain `load` scheduling drops that case; so does this.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]

    class GroupScheduling(LoadGroupScheduling):  # type: ignore[misc]
        def remove_node(self, node: Any) -> str | None:
            workload = self.assigned_work.get(node) or {}
            died_in = next((n for unit in workload.values() for n, done in unit.items() if not done), None)
            for unit in workload.values():
                if died_in in unit:
                    unit[died_in] = True  # not queued again with the rest of its group
            super().remove_node(node)
            return died_in

    return GroupScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist: the controller collects nothing itself; a worker's collection gives the total."""
    state = node.config.stash.get(_STATE, None)
    if state is not None:
        state.total = len(ids)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.total = len(session.items)  # after every deselection (-k, -m, resume)
        if state.slots is not None:
            # A supervised session's process ends with it (homolog.supervisor): the plan, the
            # cases and the items live until then, and freezing them spares every later
            # collection of the check loop a walk over them. An unsupervised session may run
            # inside a longer-lived caller, whose collector is left as it is.
            gc.freeze()


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        case = _case_of(item)
        state = item.config.stash.get(_STATE, None)
        if case is not None and state is not None and case.key not in state.done:
            state.deselected.add(case.key)


class _SharedExecutions:
    """One execution per check and parameters: a case whose execution an earlier case of the
    session already makes is not run; it gets that case's result (`RunState.sharers`).

    Decided after every deselection (`-k`, `-m`, resume, shard), among the cases left to
    run, the same way in every xdist worker (their collections stay identical). A check that
    asks for the `requirement` fixture may act on which requirement it verifies: each of its
    cases runs.
    """

    def __init__(self, state: RunState) -> None:
        self.state = state

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        first: dict[str, Case] = {}
        keep = []
        for item in items:
            case = _case_of(item)
            spec = _spec(case.ref.check) if case is not None else None
            if case is None or case.unmet or (spec is not None and "requirement" in spec.fixtures):
                keep.append(item)
                continue
            runner = first.setdefault(case.execution, case)
            if runner is case:
                keep.append(item)
            else:
                self.state.sharers.setdefault(runner.key, []).append(case)
        items[:] = keep


class _Together:
    """Cases of checks declared `together` (`homolog.check`) form one xdist group: with
    `--dist loadgroup` (what a run with workers passes) one worker runs them all. Marked
    before xdist's own hook reads the marks."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            case = _case_of(item)
            spec = _spec(case.ref.check) if case is not None else None
            if spec is not None and spec.together:
                item.add_marker(pytest.mark.xdist_group(spec.together))


def _case_of(item: pytest.Item) -> Case | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    case = callspec.params.get("homolog_case")
    return case if isinstance(case, Case) else None


def _is_case_item(item: pytest.Item) -> bool:
    """An item of the engine's case function, whatever its parameter (by its case parameter)."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "homolog_case" in callspec.params


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The target under test, as loaded from --homolog-target."""
    state = request.config.stash.get(_STATE, None)
    if state is None:
        raise CheckError("no target: run with --homolog-referential and --homolog-target")
    return state.target


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Where the running check attaches its evidence (sanitised)."""
    state = request.config.stash.get(_STATE, None)
    case = _case_of(request.node)
    if state is None or case is None:
        import tempfile

        return Evidence(Path(tempfile.mkdtemp(prefix="homolog-evidence-")), "adhoc")
    return _case_evidence(state, case, request.node)


def _case_evidence(state: RunState, case: Case, item: pytest.Item) -> Evidence:
    """The evidence of a case's execution, where its result line will name the files."""
    # what a check killed with its session left was swept when the resume began (`RunStore.sweep_evidence`)
    ev = Evidence(state.store.dir, case.slug, state.sanitizer)
    item.stash[_EVIDENCE] = ev
    return ev


@pytest.fixture(scope="session")
def shared_state(request: pytest.FixtureRequest) -> SharedState:
    """Records shared by every process of the run (xdist workers, a resumed run): `homolog.SharedState`."""
    state = request.config.stash.get(_STATE, None)
    if state is None:
        import tempfile

        return SharedState(Path(tempfile.mkdtemp(prefix="homolog-shared-")))
    return SharedState(state.store.dir / "shared")


@pytest.fixture(scope="session")
def counterpart(target: Target) -> Callable[[str], CounterpartEndpoint]:
    """`counterpart(name)`: where a counterpart the run started listens (`url`, `control_url`)."""
    return target.counterpart


@pytest.fixture
def http(request: pytest.FixtureRequest, target: Target, evidence: Evidence) -> Iterator[HttpClient]:
    """An HTTP client bound to the target, recording every exchange as evidence."""
    state = request.config.stash.get(_STATE, None)
    client = HttpClient(target, evidence) if state is None else _run_client(state, target, evidence)
    yield client
    client.close()


def _run_client(state: RunState, target: Target, evidence: Evidence) -> HttpClient:
    """A check's HTTP client in a run: the run's authenticator, clean-up ledger and connections."""
    return HttpClient(
        target, evidence, authenticator=state.authenticator, ledger=state.ledger, connections=state.connections
    )


@pytest.fixture(scope="session")
def test_data(request: pytest.FixtureRequest, target: Target) -> TestData:
    """The target's test data, or data the run makes when the target allows it (`homolog.TestData`)."""
    state = request.config.stash.get(_STATE, None)
    return TestData(target, state.ledger if state is not None else None)


@pytest.fixture
def requirement(request: pytest.FixtureRequest) -> Any:
    """The requirement the running check verifies."""
    case = _case_of(request.node)
    return case.requirement if case else None


# --------------------------------------------------------------------------- execution


def execute_case(case: Case, request: pytest.FixtureRequest) -> None:
    """Run one case: validate parameters, resolve the check's fixtures by name, call it."""
    try:
        spec = registry.get(case.ref.check)
    except KeyError as exc:
        load = "; ".join(f"{m}: {e}" for m, e in registry.load_errors.items())
        raise CheckError(str(exc.args[0]) + (f" (suite load errors: {load})" if load else "")) from None
    try:
        params = spec.validate_params(case.params_json)
    except ParamsError as exc:
        raise CheckError(f"invalid parameters for {spec.id}: {exc}") from None
    state = request.config.stash.get(_STATE, None)
    seconds = state.deadline(spec, spec.id) if state is not None else spec.timeout or DEFAULT_CHECK_TIMEOUT
    with check_deadline(seconds):
        if case.unmet:
            raise CheckError(f"{spec.id} needs what the target does not declare: {'; '.join(case.unmet)}")
        if state is not None and _engine_made(spec, state, request):
            _call_with_engine_fixtures(spec, case, params, state, request)
            return
        kwargs: dict[str, Any] = {}
        for name in spec.fixtures:
            if name == "params":
                kwargs[name] = params
            else:
                kwargs[name] = request.getfixturevalue(name)
        spec.func(**kwargs)


#: The fixtures the engine makes itself, without pytest's lookup by name, for a check that
#: asks for nothing else (and when none of them is overridden by a conftest or a suite).
_ENGINE_FIXTURES = frozenset({"params", "http", "evidence", "target", "requirement"})


def _engine_made(spec: CheckSpec, state: RunState, request: pytest.FixtureRequest) -> bool:
    """Whether every fixture of the check is one the engine makes itself, as its own fixture would.

    `request.getfixturevalue` costs about as much per item as the check's HTTP exchange
    (a fixture looked up by name, a request object per fixture); every case runs through
    the same function, so what a name resolves to is decided once per check. A fixture of
    the same name defined elsewhere (a suite, a conftest) takes the general path.
    """
    known = state.engine_made.get(spec.id)
    if known is None:
        known = state.engine_made[spec.id] = set(spec.fixtures) <= _ENGINE_FIXTURES and all(
            _is_own_fixture(name, request) for name in spec.fixtures if name != "params"
        )
    return known


def _is_own_fixture(name: str, request: pytest.FixtureRequest) -> bool:
    try:
        defs = request.node.session._fixturemanager.getfixturedefs(name, request.node)
    except AttributeError:  # pytest's fixture manager changed: the general path only
        return False
    if not defs:
        return False
    func = getattr(defs[-1], "func", None)
    return getattr(func, "__module__", None) == __name__ and getattr(func, "__name__", None) == name


def _call_with_engine_fixtures(
    spec: CheckSpec, case: Case, params: Any, state: RunState, request: pytest.FixtureRequest
) -> None:
    """Call the check with the values its fixtures (`evidence`, `http`, `target`, `requirement`) give."""
    ev: Evidence | None = None
    client: HttpClient | None = None
    kwargs: dict[str, Any] = {}
    try:
        for name in spec.fixtures:
            if name == "params":
                kwargs[name] = params
            elif name == "target":
                kwargs[name] = state.target
            elif name == "requirement":
                kwargs[name] = case.requirement
            else:  # evidence, http: one Evidence for both, as the `http` fixture's own `evidence`
                if ev is None:
                    ev = _case_evidence(state, case, request.node)
                if name == "evidence":
                    kwargs[name] = ev
                else:
                    client = _run_client(state, state.target, ev)
                    kwargs[name] = client
        spec.func(**kwargs)
    finally:
        if client is not None:
            client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Tell the supervisor which case runs and when it must be over (its deadline, then a grace)."""
    case = _case_of(item)
    state = item.config.stash.get(_STATE, None)
    if case is None or state is None or state.slots is None:
        return (yield)
    if state.slot is None:
        state.slot = Slot(state.slots)
    spec = registry.get(case.ref.check) if case.ref.check in registry else None
    seconds = state.deadline(spec, case.ref.check)
    record = _record(state, case, item, Verdict.ERROR.value, _killed_message(seconds), [], [], now_iso(), None)
    shared = [_shared_record(record, other) for other in state.sharers.get(case.key, [])]
    t0 = time.monotonic()
    about = {"record": record, "shared": shared, "evidence_prefix": f"evidence/{case.slug}{SEPARATOR}", "t0": t0}
    state.slot.begin(t0 + seconds + GRACE, about)
    try:
        return (yield)
    finally:
        state.slot.end()


def _killed_message(seconds: float) -> str:
    return (
        f"exceeded {seconds:g} s: the check did not stop at its deadline (stuck where a signal cannot reach)"
        " and its process was killed; it decided nothing"
    )


def _record(
    state: RunState,
    case: Case,
    item: pytest.Item,
    verdict: str,
    message: str | None,
    evidence: list[str],
    caveats: list[dict[str, Any]],
    started: str,
    duration: float | None,
) -> dict[str, Any]:
    """A line of results.jsonl."""
    return {
        "key": case.key,
        "requirement": case.requirement.id,
        "check": case.ref.check,
        "label": case.ref.label,
        "title": case.title,
        "params": case.params_json,
        "overrides": [o.to_json() for o in case.overrides],
        "verdict": verdict,
        "message": state.sanitizer.text(message) if message else None,
        "evidence": evidence,
        "caveats": caveats,
        "started": started,
        "duration": duration,
        "nodeid": item.nodeid,
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    case = _case_of(item)
    state = item.config.stash.get(_STATE, None)
    if case is None or state is None:
        return
    report = outcome.get_result()
    report.user_properties.append(("homolog_case", case.key))
    result = item.stash.setdefault(_RESULT, {"started": now_iso(), "t0": time.monotonic()})
    if call.when in ("setup", "call") and "verdict" not in result:
        if report.passed and call.when == "call":
            result.update(verdict=Verdict.PASSED.value, message=None)
        elif report.skipped:
            result.update(verdict=Verdict.SKIPPED.value, message=_skip_reason(report))
        elif report.failed:
            verdict, message = classify(call.excinfo, item, state)
            result.update(verdict=verdict, message=message)
    if call.when == "teardown":
        if "verdict" not in result:
            result.update(verdict=Verdict.ERROR.value, message="the check did not run to an outcome")
        if report.failed and call.excinfo is not None:
            note = f"teardown problem: {call.excinfo.exconly()[:300]}"
            result["message"] = f"{result['message']}; {note}" if result.get("message") else note
        ev = item.stash.get(_EVIDENCE, None)
        record = _record(
            state,
            case,
            item,
            result["verdict"],
            result.get("message"),
            list(ev.paths) if ev else [],
            list(ev.caveats) if ev else [],
            result["started"],
            round(time.monotonic() - result["t0"], 3),
        )
        sharers = state.sharers.get(case.key, [])
        state.store.append(record, *(_shared_record(record, other) for other in sharers))
        report.user_properties.append(("homolog_verdict", result["verdict"]))
        if sharers:
            report.user_properties.append(("homolog_also", ", ".join(c.requirement.id for c in sharers)))
        report.user_properties.append(("homolog_message", record["message"] or ""))


def _shared_record(record: dict[str, Any], case: Case) -> dict[str, Any]:
    """The result line of `case`, whose execution is the one `record` ran: same verdict,
    message and evidence (the files are referenced, not copied)."""
    return record | {
        "key": case.key,
        "requirement": case.requirement.id,
        "label": case.ref.label,
        "title": case.title,
        "params": case.params_json,
        "overrides": [o.to_json() for o in case.overrides],
        "shared_from": record["key"],
    }


def classify(
    excinfo: pytest.ExceptionInfo[BaseException] | None, item: pytest.Item, state: RunState
) -> tuple[str, str]:
    """Map an exception raised by a check to a verdict and a message."""
    if excinfo is None:
        return Verdict.ERROR.value, "unknown failure"
    exc = excinfo.value
    if isinstance(exc, CheckOutcome):
        return exc.verdict, exc.message
    if isinstance(exc, CheckTimeout):
        return Verdict.ERROR.value, str(exc) + _stopped_where(excinfo, item)
    if isinstance(exc, AssertionError):
        return Verdict.FAILED.value, str(exc).strip() or _assert_line(excinfo)
    # anything else is a fault of the check or the harness: it decided nothing
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    ev = item.stash.get(_EVIDENCE, None)
    case = _case_of(item)
    if ev is None and case is not None:
        ev = item.stash[_EVIDENCE] = Evidence(state.store.dir, case.slug, state.sanitizer)
    if ev is not None:
        ev.attach_text("traceback.txt", tb)
    where = ""
    entries = [e for e in excinfo.traceback if "homolog" in str(e.path)]
    if entries:
        where = f" at {Path(str(entries[-1].path)).name}:{entries[-1].lineno + 1}"
    return Verdict.ERROR.value, f"harness fault{where}: {type(exc).__name__}: {exc}"[:2000]


def _stopped_where(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> str:
    """Where the check's own code was when its deadline stopped it: ' (in name.py:42)'."""
    case = _case_of(item)
    spec = registry.get(case.ref.check) if case is not None and case.ref.check in registry else None
    source = getattr(getattr(spec, "func", None), "__code__", None)
    if source is None:
        return ""
    own = [e for e in excinfo.traceback if str(e.path) == source.co_filename]
    return f" (in {Path(source.co_filename).name}:{own[-1].lineno + 1})" if own else ""


def _assert_line(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    entry = excinfo.traceback[-1]
    try:
        line = str(entry.statement).strip()
    except Exception:
        line = ""
    return f"assertion failed: {line}" if line else "assertion failed"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "skipped")


# --------------------------------------------------------------------------- reporting


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    props = dict(report.user_properties)
    if "homolog_case" not in props:
        return None
    if report.when != "teardown":
        return "", "", ""  # the verdict is reported once, at teardown
    verdict = props.get("homolog_verdict")
    if verdict is None:
        return None
    return str(verdict), "", ""


def _clean_up(state: RunState) -> dict[str, Any] | None:
    """Remove what the run created and restore what it changed (end, Ctrl-C, resume)."""
    if not state.ledger.entries():
        return None
    evidence = Evidence(state.store.dir, "_cleanup", state.sanitizer)
    with HttpClient(state.target, evidence, authenticator=state.authenticator, connections=state.connections) as client:
        summary = clean_up(state.ledger, client)
    return summary.to_json() | {"text": summary.describe()}


class _Progress:
    """One line per finished case on the terminal of the process that reports (the xdist controller)."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config = config
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if report.when != "teardown" or "homolog_verdict" not in props:
            return
        tr = self.config.pluginmanager.getplugin("terminalreporter")
        if tr is None:
            return
        state = self.state
        state.counter += 1
        verdict = str(props["homolog_verdict"])
        nodeid = report.nodeid
        if nodeid.rfind("@") > nodeid.rfind("]"):  # xdist's loadgroup names the group after "@"
            nodeid = nodeid[: nodeid.rfind("@")]
        name = nodeid.split("[", 1)[-1][:-1]
        total = state.total or 0
        filled = round(20 * state.counter / total) if total else 0
        bar = "█" * filled + "░" * (20 - filled)
        line = f"{bar} [{state.counter:>4}/{total or '?'}] {verdict.upper():<8} {name}"
        message = str(props.get("homolog_message") or "")
        if props.get("homolog_also"):
            line += f" (also {props['homolog_also']})"
        if verdict not in ("passed",) and message:
            line += f"  — {message[:160]}"
        tr.write_line(line, **_COLOURS.get(verdict, {}))


_COLOURS = {"passed": {"green": True}, "failed": {"red": True, "bold": True}, "error": {"yellow": True, "bold": True}}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    state.store.flush()  # the result lines the last group commit left pending
    if state.worker:
        config.workeroutput["homolog_deselected"] = sorted(state.deselected)  # type: ignore[attr-defined]
        return
    assert state.plan is not None
    cleanup = _clean_up(state)
    doc = state.store.finalize(
        state.plan,
        state.target,
        attestations=state.attestations,
        waivers=state.waivers,
        deselected=state.deselected,
        selection=_selection(config),
        cleanup=cleanup,
    )
    try:
        from .integrity import write_manifest
    except ImportError:  # integrity lands with the reports work
        write_manifest = None  # type: ignore[assignment]
    if write_manifest is not None:
        write_manifest(state.store.dir)
    tr = config.pluginmanager.getplugin("terminalreporter")
    if tr is not None:
        counts = ", ".join(f"{n} {v}" for v, n in doc.summary.requirements.items() if n)
        left_out = len(doc.summary.deselected.requirements)
        if left_out:
            counts += f"; {left_out} not run (deselected)"
        tr.write_line(f"homolog: {doc.status} — requirements: {counts}")
        if cleanup is not None:
            tr.write_line(f"homolog: clean-up — {cleanup['text']}")
        tr.write_line(f"homolog: run directory {state.store.dir}")
