"""RSA key material for service-account keys: a private key, and a self-signed certificate
carrying its public half (what ``publicKeyData`` and the x509 metadata endpoint serve)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# User-managed keys on Google Cloud never expire unless a policy says so.
NEVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


@dataclass(frozen=True)
class KeyMaterial:
    private_key_pem: str
    certificate_pem: str


def new_key_material(common_name: str, valid_after: dt.datetime) -> KeyMaterial:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_after)
        .not_valid_after(NEVER)
        .sign(private_key, hashes.SHA256())
    )
    return KeyMaterial(
        private_key_pem=private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


def public_key_of(certificate_pem: str) -> rsa.RSAPublicKey:
    key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("service-account keys are RSA")
    return key
