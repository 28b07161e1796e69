"""`python -m local.moto_server`: moto's server, with Secrets Manager checked per secret.

With access control on, moto authorises Secrets Manager calls against the resource `*`, so a
policy granting `secretsmanager:GetSecretValue` on one secret's ARN (what SAM's
AWSSecretsManagerGetSecretValuePolicy grants) would never match and every read would be
denied. Here the resource is the ARN of the secret the request names, as AWS evaluates it;
everything else is moto's own server.
"""

import sys

from moto.secretsmanager.exceptions import SecretNotFoundException
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.server import main


def _requested_secret_arn(self: SecretsManagerResponse) -> str:
    secret_id = self._get_param("SecretId")
    if not secret_id:
        return "*"
    try:
        return str(self.backend.secrets[secret_id].arn)
    except (KeyError, SecretNotFoundException):
        return "*"


SecretsManagerResponse._determine_resource = _requested_secret_arn  # type: ignore[attr-defined]

if __name__ == "__main__":
    main(sys.argv[1:])
