"""Azure regions the plane accepts as a ``location``, and the ARM error for any other."""

from __future__ import annotations

from helpers.provisioning import normalize_region  # one spelling of regions for the course and the plane

from .errors import ArmError

# Regions where a Foundry model catalogue answered on 2026-08-05 (40 regions; ``az cognitiveservices model
# list`` run against all 63 public regions, Hybrid-Solutions-Cloud/homestead-foundry SPIKE-32), plus public
# regions that host other resource types.
AZURE_REGIONS = frozenset({
    "australiacentral", "australiaeast", "australiasoutheast", "brazilsouth", "canadacentral", "canadaeast",
    "centralindia", "centralus", "centraluseuap", "eastasia", "eastus", "eastus2", "eastus2euap",
    "francecentral", "francesouth", "germanynorth", "germanywestcentral", "italynorth", "japaneast",
    "japanwest", "jioindiacentral", "jioindiawest", "koreacentral", "koreasouth", "northcentralus",
    "northeurope", "norwayeast", "norwaywest", "polandcentral", "qatarcentral", "southafricanorth",
    "southcentralus", "southeastasia", "southindia", "spaincentral", "swedencentral", "switzerlandnorth",
    "switzerlandwest", "uaecentral", "uaenorth", "uksouth", "ukwest", "westcentralus", "westeurope",
    "westindia", "westus", "westus2", "westus3",
})  # fmt: skip


def check_region(name: str, resource_type: str) -> str:
    """The normalized region (``"East US 2"`` -> ``"eastus2"``), or ARM's 400 listing the valid ones."""
    region = normalize_region(name)
    if region not in AZURE_REGIONS:
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{name}' is not available for resource type '{resource_type}'. List of "
            f"available regions for the resource type is '{','.join(sorted(AZURE_REGIONS))}'.",
        )
    return region


__all__ = ["AZURE_REGIONS", "check_region", "normalize_region"]
