import itertools

import pytest

from core import events, states
from core.errors import IllegalTransition

LEGAL = {
    ("waiting", "call"): "called",
    ("waiting", "cancel"): "cancelled",
    ("waiting", "expire"): "expired",
    ("called", "recall"): "called",
    ("called", "start"): "serving",
    ("called", "finish"): "done",
    ("called", "no_show"): "no_show",
    ("called", "transfer"): "waiting",
    ("called", "cancel"): "cancelled",
    ("called", "expire"): "expired",
    ("serving", "finish"): "done",
    ("serving", "transfer"): "waiting",
    ("serving", "expire"): "expired",
}


@pytest.mark.parametrize("state,action", sorted(LEGAL))
def test_legal_moves(state, action):
    assert states.apply(state, action) == LEGAL[(state, action)]


ILLEGAL = sorted(set(itertools.product(states.STATES, states.ACTIONS)) - set(LEGAL))


@pytest.mark.parametrize("state,action", ILLEGAL)
def test_illegal_moves_raise_named_error(state, action):
    with pytest.raises(IllegalTransition) as e:
        states.apply(state, action)
    assert e.value.code == "illegal_transition"
    assert e.value.status == 409
    assert state in str(e.value)


def test_final_states_have_no_way_out():
    for state in states.FINAL:
        assert not [a for (s, a) in states.TRANSITIONS if s == state]


def test_every_action_has_an_event_name():
    assert set(states.ACTIONS) == set(events.OF_ACTION)
