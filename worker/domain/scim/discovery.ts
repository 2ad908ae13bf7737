/**
 * The SCIM discovery documents (RFC 7643 §5–7): what Sluice's `/scim/v2`
 * actually supports, so identity providers do not try what would fail.
 */

export const URN = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  enterprise: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  listResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

/** The largest page `GET /Users` returns; a larger `count` is cut to this. */
export const MAX_RESULTS = 200;

export function serviceProviderConfig(base: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "API key",
        description: "A Sluice API key with the SCIM scope, sent as `Authorization: Bearer slk_…`",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

export function userResourceType(base: string) {
  return {
    schemas: [URN.resourceType],
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "A person in the Sluice account (the same people User Sync files create)",
    schema: URN.user,
    schemaExtensions: [{ schema: URN.enterprise, required: false }],
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/User` },
  };
}

interface Attr {
  name: string;
  type: "string" | "boolean" | "complex" | "reference" | "dateTime";
  description: string;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable";
  uniqueness?: "none" | "server";
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: Attr[];
}

function attribute(a: Attr): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description,
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? "readWrite",
    returned: "default",
    uniqueness: a.uniqueness ?? "none",
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attribute) } : {}),
  };
}

const userAttributes: Attr[] = [
  {
    name: "userName",
    type: "string",
    required: true,
    uniqueness: "server",
    description: "The person's work email address: the same key as User Sync files, stored in lower case.",
  },
  {
    name: "name",
    type: "complex",
    description: "Given and family name, both required for a new user.",
    subAttributes: [
      { name: "givenName", type: "string", description: "First Name (at most 100 characters)." },
      { name: "familyName", type: "string", description: "Last Name (at most 100 characters)." },
      { name: "formatted", type: "string", mutability: "readOnly", description: "Given and family name." },
    ],
  },
  { name: "displayName", type: "string", mutability: "readOnly", description: "Given and family name." },
  {
    name: "emails",
    type: "complex",
    multiValued: true,
    mutability: "readOnly",
    description: "The userName as the primary work email; change the userName to change it.",
    subAttributes: [
      { name: "value", type: "string", description: "The email address." },
      { name: "type", type: "string", canonicalValues: ["work"], description: "Always work." },
      { name: "primary", type: "boolean", description: "Always true." },
    ],
  },
  {
    name: "active",
    type: "boolean",
    description: "false deactivates the person (the leaver signal); a past Leave Date keeps them inactive.",
  },
  {
    name: "roles",
    type: "complex",
    multiValued: true,
    description: "One Sluice role (the primary one counts); leaving it out keeps the current role.",
    subAttributes: [
      {
        name: "value",
        type: "string",
        canonicalValues: ["Claimant", "Approver", "Finance", "Admin"],
        description: "Admins receive delivery alerts.",
      },
      { name: "primary", type: "boolean", description: "Marks the role that counts when several are sent." },
    ],
  },
  {
    name: "externalId",
    type: "string",
    caseExact: true,
    uniqueness: "server",
    description: "The identity provider's id for the person; unique within the account.",
  },
];

const enterpriseAttributes: Attr[] = [
  {
    name: "employeeNumber",
    type: "string",
    uniqueness: "server",
    description: "Employee Number (at most 64 characters), unique within the account.",
  },
  { name: "department", type: "string", description: "Department (at most 100 characters)." },
  { name: "costCenter", type: "string", description: "Cost Centre (at most 100 characters)." },
  {
    name: "manager",
    type: "complex",
    description: "The person's approver: another existing person in the account, never themself.",
    subAttributes: [
      {
        name: "value",
        type: "string",
        caseExact: true,
        description: "The approver's SCIM id (an email address is accepted too).",
      },
      { name: "$ref", type: "reference", referenceTypes: ["User"], mutability: "readOnly", description: "URI." },
      { name: "displayName", type: "string", mutability: "readOnly", description: "Not returned." },
    ],
  },
];

export function schemaDocuments(base: string) {
  return [
    {
      schemas: [URN.schema],
      id: URN.user,
      name: "User",
      description: "A person in the Sluice account",
      attributes: userAttributes.map(attribute),
      meta: { resourceType: "Schema", location: `${base}/Schemas/${URN.user}` },
    },
    {
      schemas: [URN.schema],
      id: URN.enterprise,
      name: "EnterpriseUser",
      description: "Enterprise User: employee number, department, cost centre and approver",
      attributes: enterpriseAttributes.map(attribute),
      meta: { resourceType: "Schema", location: `${base}/Schemas/${URN.enterprise}` },
    },
  ];
}
