/**
 * The service's OpenAPI 3.1 document, served at `/v1/openapi.json` (tests check real answers
 * against it).
 *
 * @module
 */

type Schema = Readonly<Record<string, unknown>>;

const num = { type: "number" } as const;
const nullableNum = { type: ["number", "null"] } as const;
const box: Schema = {
  type: "object",
  required: ["x", "y", "width", "height"],
  properties: { x: num, y: num, width: num, height: num },
};
const face: Schema = {
  type: "object",
  required: ["box", "score", "landmarks"],
  properties: {
    box,
    score: nullableNum,
    landmarks: { type: "array", items: { type: "array", items: num } },
    label: { type: ["string", "null"], description: "the person, or null: unknown" },
    method: { type: "string", enum: ["network", "nearest"] },
    probability: nullableNum,
    distance: nullableNum,
    runner_up: {
      type: ["object", "null"],
      required: ["label", "probability", "distance"],
      properties: { label: { type: "string" }, probability: nullableNum, distance: nullableNum },
    },
  },
};
const faces: Schema = {
  type: "object",
  required: ["kind", "size", "faces"],
  properties: {
    kind: { type: "string", enum: ["faces"] },
    size: { type: "object", required: ["width", "height"], properties: { width: num, height: num } },
    faces: { type: "array", items: face },
  },
};
const error: Schema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
};

const photoBody = {
  required: true,
  content: {
    "image/*": { schema: { type: "string", format: "binary" } },
    "application/octet-stream": { schema: { type: "string", format: "binary" } },
    "multipart/form-data": {
      schema: { type: "object", required: ["photo"], properties: { photo: { type: "string", format: "binary" } } },
    },
  },
};

const answer = (description: string, schema: Schema) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), answer("an error, with a stable code", error)]));
/** A photo's refusals: 408 when its body does not arrive in time, 503 when too many uploads are under way. */
const PHOTO_ERRORS = [400, 401, 408, 413, 415, 503, 504];

/**
 * The document.
 *
 * @returns The OpenAPI 3.1 document as an object.
 */
export function openApiDocument(): Schema {
  return {
    openapi: "3.1.0",
    info: { title: "Face2Vec", version: "1", description: "Face detection and recognition against a gallery." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { face, faces, error },
    },
    security: [{ bearer: [] }],
    paths: {
      "/v1/health/live": {
        get: { security: [], responses: { 200: answer("alive", { type: "object", required: ["status"] }) } },
      },
      "/v1/health/ready": {
        get: {
          responses: {
            200: answer("the gallery can be read", {
              type: "object",
              required: ["status", "gallery", "faces", "workers"],
              properties: {
                status: { type: "string" },
                gallery: { type: "string", enum: ["file", "postgres"] },
                faces: num,
                workers: num,
              },
            }),
            ...errors(401, 503),
          },
        },
      },
      "/v1/openapi.json": { get: { responses: { 200: answer("this document", { type: "object" }), ...errors(401) } } },
      "/v1/detect": {
        post: {
          requestBody: photoBody,
          responses: { 200: answer("every face, largest first", faces), ...errors(...PHOTO_ERRORS) },
        },
      },
      "/v1/recognize": {
        post: {
          requestBody: photoBody,
          responses: {
            200: answer("every face, named or unknown (label null)", faces),
            ...errors(...PHOTO_ERRORS, 409),
          },
        },
      },
      "/v1/compare": {
        post: {
          description: "The largest face of photo a against that of photo b (multipart fields a and b).",
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["a", "b"],
                  properties: { a: { type: "string", format: "binary" }, b: { type: "string", format: "binary" } },
                },
              },
            },
          },
          responses: {
            200: answer("the distance and the verdict", {
              type: "object",
              required: ["distance", "same", "threshold"],
              properties: { distance: num, same: { type: "boolean" }, threshold: num },
            }),
            ...errors(...PHOTO_ERRORS, 422),
          },
        },
      },
      "/v1/people": {
        get: {
          responses: {
            200: answer("the enrolled people", {
              type: "object",
              required: ["people"],
              properties: {
                people: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["label", "faces"],
                    properties: { label: { type: "string" }, faces: num },
                  },
                },
              },
            }),
            ...errors(401),
          },
        },
      },
      "/v1/people/{label}/faces": {
        post: {
          description: "Enrols the largest face of the photo under the person (the same photo again replaces it).",
          parameters: [{ name: "label", in: "path", required: true, schema: { type: "string" } }],
          requestBody: photoBody,
          responses: {
            201: answer("enrolled", {
              type: "object",
              required: ["label", "path", "box", "faces_in_photo", "gallery_faces"],
              properties: {
                label: { type: "string" },
                path: { type: "string" },
                box,
                faces_in_photo: num,
                gallery_faces: num,
              },
            }),
            ...errors(...PHOTO_ERRORS, 422),
          },
        },
      },
      "/v1/people/{label}": {
        delete: {
          description: "Erases every face of the person from the gallery.",
          parameters: [{ name: "label", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            200: answer("erased", {
              type: "object",
              required: ["label", "removed_faces"],
              properties: { label: { type: "string" }, removed_faces: num },
            }),
            ...errors(400, 401, 404),
          },
        },
      },
      "/metrics": {
        get: {
          responses: {
            200: { description: "Prometheus text format", content: { "text/plain": { schema: { type: "string" } } } },
            ...errors(401),
          },
        },
      },
    },
  };
}
