"""Component parameters: defaults, type checks, did-you-mean for unknown names."""

import pytest

from seebench import GENERATOR, Component, ConfigError, Param


def make(**kw):
    return Component(kind=GENERATOR, name="demo", factory=lambda **p: p, description="demo generator",
                     params=(Param("size", 32, "px", minimum=8), Param("alpha", 1.5, "slope"),
                             Param("shape", "circle", "shape", choices=("circle", "square"))), **kw)


def test_defaults_overlaid_and_ints_accepted_for_floats():
    comp = make()
    assert comp.resolve_params({"alpha": 2}) == {"size": 32, "alpha": 2.0, "shape": "circle"}
    assert isinstance(comp.resolve_params({"alpha": 2})["alpha"], float)


def test_unknown_parameter_suggests_the_close_name():
    with pytest.raises(ConfigError, match=r"generator 'demo' has no parameter 'alpah'; did you mean 'alpha'"):
        make().resolve_params({"alpah": 1.0}, where="m.toml")


def test_wrong_type_names_parameter_and_default():
    with pytest.raises(ConfigError, match=r"parameter 'size' must be int, got 'big' \(str\); default is 32"):
        make().resolve_params({"size": "big"})
    with pytest.raises(ConfigError, match="must be int"):
        make().resolve_params({"size": True})  # a bool is not an int here


def test_choices_and_bounds():
    with pytest.raises(ConfigError, match=r"'shape' must be one of \['circle', 'square'\], got 'blob'"):
        make().resolve_params({"shape": "blob"})
    with pytest.raises(ConfigError, match=r"'size' must be >= 8, got -4"):
        make().resolve_params({"size": -4})


def test_bad_component_definitions_are_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        Component(kind="thing", name="x", factory=dict, description="d")
    with pytest.raises(ValueError, match="one line"):
        Component(kind=GENERATOR, name="x", factory=dict, description="two\nlines")
    with pytest.raises(ValueError, match="duplicate parameter"):
        Component(kind=GENERATOR, name="x", factory=dict, description="d", params=(Param("a", 1), Param("a", 2)))
