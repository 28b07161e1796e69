"""The registry of HTTP functions is the template's: a function added to one and not the other
would escape every check that reads the registry."""

from local.template import load_template
from streamcat.api.registry import HTTP_FUNCTIONS, Kind, of_kind

RESOURCES = load_template()["Resources"]


def _http_api_functions() -> set[str]:
    return {
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and any(
            event.get("Type") == "HttpApi"
            for event in (resource["Properties"].get("Events") or {}).values()
        )
    }


def test_the_registry_lists_exactly_the_templates_http_functions() -> None:
    assert {function.logical_id for function in HTTP_FUNCTIONS} == _http_api_functions()


def test_each_function_builds_from_its_own_folder() -> None:
    for function in HTTP_FUNCTIONS:
        properties = RESOURCES[function.logical_id]["Properties"]
        assert properties["CodeUri"].rstrip("/") == f"functions/{function.name}"


def test_seed_queries_answer_their_original_path_too() -> None:
    """Their second route is the seed's alias: two HttpApi events each."""
    for function in of_kind(Kind.SEED_QUERY):
        events = RESOURCES[function.logical_id]["Properties"]["Events"].values()
        assert sum(event["Type"] == "HttpApi" for event in events) == 2, function.name
