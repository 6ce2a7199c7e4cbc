# Separation of duties (auth/policy/duties.rs)
roles-stand-alone-system-admin = The role “System administrator” must be the account’s only role: the administrator reads no documents and takes no part in approvals. Give this person a separate account for work with documents.
roles-stand-alone-support-admin = The role “User-support administrator” must be the account’s only role: support helps with accounts and does not work with documents. Give this person a separate account for work with documents.
roles-stand-alone-auditor = The role “Auditor” must be the account’s only role: the auditor only reads the access log and changes nothing. Give this person a separate account for other work.
roles-stand-alone = This role must be the account’s only role. Use a separate account for other work.

# Request limits (web/limits.rs): each 413 names the limit that was hit
limit-json-body = At most { $limit } KB of JSON in one request.
limit-form-body = At most { $limit } KB in one form.
limit-document-size = At most { $limit } MB per document, text and files together.
limit-form-field = At most { $limit } MB in one field (such as the document's text).
limit-signature-file = At most { $limit } KB per signature file.
limit-upload-file = At most { $limit } MB per uploaded file.
limit-files-per-document = At most { $limit } files in one version of a document. Put the files in an archive or post several documents.
limit-parts-per-request = At most { $limit } parts (files and fields) in one request.

# Request timeouts
error-request-timeout = The request arrived too slowly and was cut off.
body-too-slow = The data came in slower than allowed. Check the connection and send it again.
