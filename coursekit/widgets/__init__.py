"""Interactive explorers for the lessons (ipywidgets + ipympl). Each is one line to show::

    from coursekit.widgets import GraphExplorer
    GraphExplorer()

Every explorer is an ipywidgets ``VBox``: controls on top, an ipympl figure below. A
control change recomputes with coursekit and updates the figure in place (``set_data``,
``set_text``, then :meth:`~coursekit.widgets.base.Explorer.redraw`); nothing is re-plotted.
Errors raised while updating are shown inside the widget (``.message``), not lost in the log
console. Each explorer records ``last_update_seconds``, the kernel time of its latest update.

One module per explorer, and :mod:`~coursekit.widgets.base` for what they share:

- :class:`GraphExplorer` (``graph_explorer``): sliders for a traced function's inputs, the graph
  with values and gradients, a gate-by-gate step-through of the backward pass, "Hide gradients".
- :class:`GatePlayground` (``gate_playground``): add, multiply, max and copy gates: distributor,
  switcher, router, adder; local × upstream = downstream with the numbers; "Hide gradients".
- :class:`ChainRuleExplorer` (``chain_rule``): the chain rule on f(x(u(t))) and the total
  derivative, with the product of the factors written out.
- :class:`JacobianExplorer` (``jacobian_explorer``): the Jacobian of an operation as a heatmap,
  its entries, and its memory cost at the lecture's size.
- :class:`ActivationExplorer` (``activation_explorer``): activation functions and their
  derivatives side by side.
- :class:`NetworkDiagram` (``network_diagram``): an MLP drawn from its sizes, with its neuron and
  parameter counts.
- :class:`TrainingDashboard` (``training_dashboard``): train a network live on the heart curve or
  a 2-D dataset, each dataset with its own defaults.
"""

from .activation_explorer import ActivationExplorer, activation_and_derivative
from .base import Explorer
from .chain_rule import ChainRuleExplorer
from .gate_playground import GatePlayground
from .graph_explorer import EXAMPLES, GraphExplorer
from .jacobian_explorer import JacobianExplorer
from .network_diagram import NetworkDiagram
from .training_dashboard import DATASET_DEFAULTS, TrainingDashboard

__all__ = [
    "GraphExplorer",
    "GatePlayground",
    "ChainRuleExplorer",
    "JacobianExplorer",
    "ActivationExplorer",
    "NetworkDiagram",
    "TrainingDashboard",
    "activation_and_derivative",
    "EXAMPLES",
    "DATASET_DEFAULTS",
    "Explorer",
]
