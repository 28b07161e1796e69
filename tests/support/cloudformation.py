"""CloudFormation's dependency graph of a template, as CloudFormation builds it before a deploy:
an edge for every Ref, Fn::GetAtt, Fn::Sub variable and DependsOn, wherever it stands in the
resource (properties, UpdatePolicy, CreationPolicy, Metadata). A cycle is a stack CloudFormation
rejects, whatever the linters say."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def dependency_graph(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each resource's logical id to the resources it depends on."""
    resources = template["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn") or []
        named = set([depends_on] if isinstance(depends_on, str) else depends_on)
        named.update(_references(resource))
        graph[logical_id] = {name for name in named if name in resources}
    return graph


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
        return
    if not isinstance(value, dict):
        return
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            yield argument
        elif key == "Fn::GetAtt":
            target = argument[0] if isinstance(argument, list) else str(argument).split(".")[0]
            yield target
        elif key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            for name in _SUB_VARIABLE.findall(text):
                if name not in variables:
                    yield name.split(".")[0]
            yield from _references(variables)
        else:
            yield from _references(argument)


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of resources that depend on each other (Tarjan's
    algorithm, iterative so a long chain cannot overflow the stack), each sorted."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = lowest[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index:
                    index[successor] = lowest[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                elif successor in on_stack:
                    lowest[node] = min(lowest[node], index[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowest[parent] = min(lowest[parent], lowest[node])
            if lowest[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph[node]:
                    found.append(sorted(group))
    return found
