import uuid

# Object ids are derived from the user principal name, so they survive a
# reset of the provider's database and the portal still knows the person.
OBJECT_ID_NAMESPACE = uuid.UUID("7d1c2b9e-3f5a-4c8e-9a41-2d6f0b8e5c17")


def object_id(upn):
    return str(uuid.uuid5(OBJECT_ID_NAMESPACE, upn.lower()))
