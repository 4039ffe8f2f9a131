"""API Gateway answers for what does not exist (any more): AWS's NotFoundException or an empty
list, not moto's 500."""

import pytest
from botocore.exceptions import ClientError


def code_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_second_delete_of_each_api_part_is_not_found(account):
    c = account.client("apigateway", "eu-west-1")
    api = c.create_rest_api(name="x")["id"]
    root = c.get_resources(restApiId=api)["items"][0]["id"]
    res = c.create_resource(restApiId=api, parentId=root, pathPart="object")["id"]
    c.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    c.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="MOCK")

    c.delete_integration(restApiId=api, resourceId=res, httpMethod="GET")
    assert code_of(lambda: c.delete_integration(restApiId=api, resourceId=res, httpMethod="GET")) == "NotFoundException"
    c.delete_method(restApiId=api, resourceId=res, httpMethod="GET")
    assert code_of(lambda: c.delete_method(restApiId=api, resourceId=res, httpMethod="GET")) == "NotFoundException"
    c.delete_resource(restApiId=api, resourceId=res)
    assert code_of(lambda: c.delete_resource(restApiId=api, resourceId=res)) == "NotFoundException"
    c.delete_rest_api(restApiId=api)
    assert code_of(lambda: c.delete_rest_api(restApiId=api)) == "NotFoundException"


def test_a_domain_without_mappings_lists_none_and_finds_none(account):
    c = account.client("apigateway", "eu-west-1")
    c.create_domain_name(domainName="api.example.com")
    assert c.get_base_path_mappings(domainName="api.example.com").get("items", []) == []
    assert code_of(lambda: c.get_base_path_mapping(domainName="api.example.com", basePath="(none)")) == "NotFoundException"
    assert code_of(lambda: c.delete_base_path_mapping(domainName="api.example.com", basePath="(none)")) == "NotFoundException"
