"""Account lockout after repeated failed logins (SSI/IAM.92)."""

from __future__ import annotations

import secrets

from homolog import CheckError, HttpClient, Needs, Params, SharedState, Target, check, fail

from ..web_login import account, try_login


class LockoutParams(Params):
    """Maximum failures allowed before the account must be locked."""

    max_failures: int = 10
    auth_name: str = "lockout"


def _needs(params: LockoutParams) -> Needs:
    return Needs(bases=("web",), auth=(params.auth_name,))


@check("security.auth.lockout", params=LockoutParams, tags=("sacrificial-account",), needs=_needs)
def account_lockout(http: HttpClient, target: Target, params: LockoutParams, shared_state: SharedState) -> None:
    """The SUT locks an account after at most N failed logins, even for the right password.

    Uses the sacrificial account the target declares under ``auth.lockout``: it stays
    locked afterwards. A later use in the same run (any worker, or a resumed run)
    reuses the observation, recorded in the run directory (when its limit is not
    lower); otherwise the account must be unlocked before a new run. The account is
    held for the whole check, so two workers never test it at the same time.
    """
    user, password = account(target, params.auth_name)
    with shared_state.hold("security.auth.lockout", f"{target.base_url('web')} {user}") as seen:
        done = seen.get("locked_after")
        if isinstance(done, int):
            # This run already locked the account (another requirement using the same
            # check): the observation stands if it was at most this limit and still holds.
            if done > params.max_failures:
                raise CheckError(
                    f"{user!r} was locked by an earlier check after {done} failures; "
                    f"whether it locks after {params.max_failures} cannot be measured again"
                )
            if try_login(http, target, user, password, auth=params.auth_name).success:
                fail(f"{user!r}, locked after {done} failures earlier, accepts its password again")
            return
        declared = target.settings("security").get("lockout_max_failures")
        limit = params.max_failures
        if isinstance(declared, int) and 0 < declared < limit:
            limit = declared  # the vendor configured a stricter policy: hold it to that
        first = try_login(http, target, user, password, auth=params.auth_name)
        if not first.success:
            raise CheckError(
                f"the sacrificial account {user!r} cannot log in before the test "
                f"({first.described} -> {first.status}); is it already locked?"
            )
        for attempt in range(1, limit + 1):
            wrong = try_login(http, target, user, password + secrets.token_hex(4), auth=params.auth_name)
            if wrong.success:
                fail(f"a wrong password was accepted for {user!r} (attempt {attempt})")
        after = try_login(http, target, user, password, auth=params.auth_name)
        if after.success:
            fail(f"after {limit} failed logins the right password still opens {user!r}'s session")
        seen["locked_after"] = limit
