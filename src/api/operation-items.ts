// The API inside a joint customs operation (access point): its documents with comment rounds, its
// closed group with the message templates a JCO runs on, its live tally, and the recommendations
// with the monitoring view (/v1/operations/:id/{documents,group,tally,recommendations},
// /v1/recommendations). Routes, the CLI, the member console and tests take their shapes from here.
import { z } from "zod";
import { CLASSIFICATION_PATTERN, DOCUMENT_KINDS, GROUP_TEMPLATES, HANDLING_CODE_PATTERN, MAX_HANDLING_CODES, RECOMMENDATION_STATES, RESULT_KINDS } from "../domain/mod.js";
import { isoTime, objectId } from "./common.js";
import { partyCode } from "./operations.js";

const text = (max: number) => z.string().trim().min(1).max(max);

/** The marking that travels with an item and is shown on every read. */
const marking = {
  classification: z.string().regex(CLASSIFICATION_PATTERN, "a classification marking such as RESTREINT UE/EU RESTRICTED").optional().describe("a classification marking, shown on every read"),
  handlingCodes: z.array(z.string().regex(HANDLING_CODE_PATTERN, "a handling code such as H0, H1 or H2")).max(MAX_HANDLING_CODES).default([]),
};
const markingOut = { classification: z.string().nullable(), handlingCodes: z.array(z.string()) };

export const docParams = z.object({ id: objectId, docId: objectId });

/**
 * An item this access point could not open or check (its signature, its key, its template's
 * fields): listed with the reason's code so the reader knows it is there, never with its bytes,
 * and left out of every figure. The others are served.
 */
export const unreadableItem = z
  .object({ id: z.string(), author: z.string(), kind: z.string(), unreadable: z.literal(true), reason: z.string().describe("the error code it failed with: LIAISON_BAD_SIGNATURE, LIAISON_DECRYPT_FAILED, LIAISON_VALIDATION …") })
  .meta({ id: "UnreadableOperationItem" });
export type UnreadableItem = z.infer<typeof unreadableItem>;
const unreadableList = z.array(unreadableItem).describe("items of this view that do not open or do not check here");

// ------------------------------------------------------------------ the group's templates

const quantity = z.object({ amount: z.number().positive().max(1e12), unit: text(40).describe("kg, pieces, EUR, litres, million cigarettes …") });

export const warningBody = z
  .object({
    consignment: text(500).describe("what is on its way: container, vehicle, courier, parcel"),
    route: text(200).optional(),
    expectedAt: isoTime.optional().describe("when it is expected where the warned member can act"),
    commodity: text(100).optional(),
    riskProfile: text(100).optional(),
    detail: text(4_000).optional(),
  })
  .strict();
export const FEEDBACK_OUTCOMES = ["checked-seized", "checked-nothing-found", "not-checked", "under-surveillance"] as const;
export const feedbackBody = z.object({ outcome: z.enum(FEEDBACK_OUTCOMES), detail: text(4_000).optional() }).strict();
export const seizureBody = z
  .object({
    commodity: text(100).describe("what was seized: cash, cigarettes, cocaine …"),
    quantity,
    place: text(200).describe("where: a border crossing point, port or airport"),
    riskProfile: text(100).describe("the risk profile that hit"),
    detail: text(4_000).optional(),
  })
  .strict();
export const resultBody = z
  .object({
    kind: z.enum(RESULT_KINDS),
    amount: z.number().nonnegative().max(1e12).nullable().default(null).describe("a fine or penalty, in euro"),
    seizure: objectId.optional().describe("the seizure report it follows from"),
    detail: text(4_000).optional(),
  })
  .strict();
export const noteBody = z.object({ text: text(8_000) }).strict();

/** Each template's fields. */
export const TEMPLATE_BODIES = { warning: warningBody, feedback: feedbackBody, seizure: seizureBody, result: resultBody, note: noteBody } as const;
export type WarningBody = z.infer<typeof warningBody>;
export type SeizureBody = z.infer<typeof seizureBody>;
export type ResultBody = z.infer<typeof resultBody>;

const post = <T extends (typeof GROUP_TEMPLATES)[number], B extends z.ZodType>(template: T, body: B) =>
  z.object({ template: z.literal(template), ...marking, inReplyTo: objectId.optional().describe("the message answered (feedback on a warning)"), body });

export const groupPostIn = z
  .discriminatedUnion("template", [post("warning", warningBody), post("feedback", feedbackBody), post("seizure", seizureBody), post("result", resultBody), post("note", noteBody)])
  .meta({ id: "GroupMessageIn" });
export type GroupPostIn = z.infer<typeof groupPostIn>;

export const groupMessageOut = z
  .object({
    id: z.string(),
    sender: z.string(),
    sentAt: z.string(),
    template: z.enum(GROUP_TEMPLATES),
    ...markingOut,
    inReplyTo: z.string().nullable(),
    body: z.record(z.string(), z.unknown()).describe("the template's fields"),
  })
  .meta({ id: "GroupMessage" });
export type GroupMessageOut = z.infer<typeof groupMessageOut>;
export const groupOut = z.object({ messages: z.array(groupMessageOut), unreadable: unreadableList }).meta({ id: "GroupMessages" });
export type GroupOut = z.infer<typeof groupOut>;

// ------------------------------------------------------------------ tally

const row = z.object({ key: z.string(), seizures: z.number(), quantities: z.array(z.object({ unit: z.string(), amount: z.number() })) });
export const tallyOut = z
  .object({
    operationId: z.string(),
    asOf: z.string(),
    seizures: z.number(),
    byParticipant: z.array(row),
    byCommodity: z.array(row),
    byProfile: z.array(row),
    results: z.array(z.object({ kind: z.enum(RESULT_KINDS), count: z.number(), amount: z.number().nullable() })),
    objectives: z.array(z.object({ description: z.string(), metric: z.string(), target: z.number(), actual: z.number().nullable(), met: z.boolean().nullable() })),
    unreadable: unreadableList.describe("group messages left out of the figures: they do not open or do not check here"),
  })
  .meta({ id: "OperationTally" });
export type TallyOut = z.infer<typeof tallyOut>;

// ------------------------------------------------------------------ documents

export const documentIn = z
  .object({ kind: z.enum(DOCUMENT_KINDS), title: text(300), text: text(200_000), ...marking, commentDeadline: isoTime.optional().describe("when the comment round closes") })
  .meta({ id: "OperationDocumentIn" });
export type DocumentIn = z.infer<typeof documentIn>;
export const versionIn = z
  .object({ title: text(300).optional(), text: text(200_000), ...marking, commentDeadline: isoTime.optional() })
  .meta({ id: "OperationDocumentVersionIn" });
export type VersionIn = z.infer<typeof versionIn>;
export const commentIn = z.object({ text: text(20_000), ...marking, version: z.number().int().positive().optional().describe("the version commented on; the latest by default") }).meta({ id: "OperationCommentIn" });
export type CommentIn = z.infer<typeof commentIn>;

export const documentOut = z
  .object({
    id: z.string(),
    kind: z.enum(DOCUMENT_KINDS),
    title: z.string(),
    version: z.number(),
    author: z.string(),
    ...markingOut,
    commentDeadline: z.string().nullable(),
    adoptedAt: z.string().nullable(),
    comments: z.number().describe("comments on this version"),
    missing: z.array(z.string()).describe("members that have not commented on this version"),
  })
  .meta({ id: "OperationDocument" });
export type DocumentOut = z.infer<typeof documentOut>;
export const documentsOut = z.object({ documents: z.array(documentOut), unreadable: unreadableList }).meta({ id: "OperationDocuments" });
export type DocumentsOut = z.infer<typeof documentsOut>;

export const commentOut = z.object({ id: z.string(), author: z.string(), createdAt: z.string(), version: z.number(), text: z.string(), ...markingOut }).meta({ id: "OperationComment" });
export const versionOut = z
  .object({ id: z.string(), version: z.number(), author: z.string(), createdAt: z.string(), title: z.string(), text: z.string(), ...markingOut, commentDeadline: z.string().nullable(), adoptedAt: z.string().nullable(), adoptedBy: z.string().nullable() })
  .meta({ id: "OperationDocumentVersion" });
export const documentDetailOut = documentOut
  .extend({
    text: z.string(),
    versions: z.array(versionOut),
    commentsOnVersion: z.array(commentOut).describe("the comments on the latest version"),
    statistics: tallyOut.nullable().describe("a final report's statistics: the operation's tally as of this read, from the seizure reports and results (never retyped); null for other documents"),
  })
  .meta({ id: "OperationDocumentDetail" });
export type DocumentDetailOut = z.infer<typeof documentDetailOut>;

// ------------------------------------------------------------------ recommendations

export const recommendationIn = z.object({ text: text(8_000), owner: partyCode, ...marking }).meta({ id: "RecommendationIn" });
export type RecommendationIn = z.infer<typeof recommendationIn>;
export const recommendationPatch = z
  .object({ state: z.enum(RECOMMENDATION_STATES).optional(), owner: partyCode.optional() })
  .refine((p) => p.state !== undefined || p.owner !== undefined, { message: "change the state or the owner" })
  .meta({ id: "RecommendationPatch" });
export type RecommendationPatch = z.infer<typeof recommendationPatch>;
export const recommendationsQuery = z.object({ state: z.enum(["open", "all"]).default("open"), operation: objectId.optional() });
export const recommendationOut = z
  .object({
    id: z.string(),
    operationId: z.string(),
    operationName: z.string(),
    text: z.string(),
    owner: z.string(),
    state: z.enum(RECOMMENDATION_STATES),
    ...markingOut,
    openedAt: z.string(),
    updatedAt: z.string(),
    openDays: z.number().describe("whole days open: until now while open or in progress, until it was closed otherwise"),
  })
  .meta({ id: "Recommendation" });
export type RecommendationOut = z.infer<typeof recommendationOut>;
export const recommendationsOut = z.object({ recommendations: z.array(recommendationOut), unreadable: unreadableList }).meta({ id: "Recommendations" });
export type RecommendationsOut = z.infer<typeof recommendationsOut>;
