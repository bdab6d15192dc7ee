from reporter.collect.aws import AwsClients


def test_moto_server_answers_over_http(aws: AwsClients) -> None:
    aws.ecr.create_repository(repositoryName="backend")
    names = [r["repositoryName"] for r in aws.ecr.describe_repositories()["repositories"]]
    assert names == ["backend"]
