// The course's Azure resources as Bicep: the same values helpers/provisioning.py sends with the SDKs.
//
//   az group create --name <resource-group> --location eastus2
//   az deployment group create --resource-group <resource-group> --template-file infra/main.bicep \
//     --parameters accountName=<account-name> principalId=$(az ad signed-in-user show --query id -o tsv)
//
// Creates a Microsoft Foundry resource (Cognitive Services account of kind AIServices, SKU S0, custom subdomain),
// a deployment of a DeepSeek model (by default DeepSeek-V4-Pro 2026-04-23, Global Standard: DeepSeek-R1 was
// retired on Azure on 2026-08-13 and Microsoft names V4-Pro as its successor), and the Cognitive Services User
// role for principalId. Another model: --parameters modelName=DeepSeek-V4-Flash modelVersion=2026-04-23

targetScope = 'resourceGroup'

@description('Name of the Foundry resource; also its custom subdomain (2-64 letters, digits, hyphens).')
@minLength(2)
@maxLength(64)
param accountName string

@description('Region: one where the model is offered as Global Standard (see helpers/provisioning.py).')
param location string = resourceGroup().location

@description('Object id of the user or app that calls the model with Microsoft Entra ID.')
param principalId string

@description('Kind of principal behind principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Deployment name: what requests pass as model=.')
param deploymentName string = 'DeepSeek-R1'

@description('Model to deploy (AZURE_DEEPSEEK_MODEL); format DeepSeek. Check its lifecycle first: helpers/data/lifecycle.csv.')
param modelName string = 'DeepSeek-V4-Pro'

@description('Model version (AZURE_DEEPSEEK_MODEL_VERSION).')
param modelVersion string = '2026-04-23'

@description('Deployment type (AZURE_DEEPSEEK_SKU): GlobalStandard, DataZoneStandard or Standard.')
param skuName string = 'GlobalStandard'

@description('Capacity in units of 1,000 tokens per minute; counts against your regional quota.')
@minValue(1)
param deploymentCapacity int = 50

@description('True turns API keys off so only Microsoft Entra ID works.')
param disableLocalAuth bool = false

// Built-in role "Cognitive Services User" (same id in every tenant).
var cognitiveServicesUserRoleId = 'a97b65f3-24c7-4388-baec-2e87135dc908'

resource account 'Microsoft.CognitiveServices/accounts@2025-09-01' = {
  name: accountName
  location: location
  kind: 'AIServices'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: accountName
    publicNetworkAccess: 'Enabled'
    allowProjectManagement: true
    disableLocalAuth: disableLocalAuth
  }
}

resource deepseek 'Microsoft.CognitiveServices/accounts/deployments@2025-09-01' = {
  parent: account
  name: deploymentName
  sku: {
    name: skuName
    capacity: deploymentCapacity
  }
  properties: {
    model: {
      format: 'DeepSeek'
      name: modelName
      version: modelVersion
    }
  }
}

resource cognitiveServicesUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: account
  name: guid(account.id, principalId, cognitiveServicesUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUserRoleId)
    principalId: principalId
    principalType: principalType
  }
}

output accountName string = account.name
output deploymentName string = deepseek.name
output endpoint string = account.properties.endpoint
@description('base_url for OpenAI(...) on the v1 API.')
output openAiV1Endpoint string = '${account.properties.endpoints['OpenAI Language Model Instance API']}openai/v1/'
@description('azure_endpoint for AzureOpenAI(...).')
output azureOpenAiEndpoint string = account.properties.endpoints['OpenAI Language Model Instance API']
@description('endpoint for the legacy azure-ai-inference ChatCompletionsClient.')
output modelInferenceEndpoint string = '${account.properties.endpoints['Azure AI Model Inference API']}models'
