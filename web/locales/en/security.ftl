# Separation of duties (auth/policy/duties.rs)
roles-stand-alone-system-admin = The role “System administrator” must be the account’s only role: the administrator reads no documents and takes no part in approvals. Give this person a separate account for work with documents.
roles-stand-alone-support-admin = The role “User-support administrator” must be the account’s only role: support helps with accounts and does not work with documents. Give this person a separate account for work with documents.
roles-stand-alone-auditor = The role “Auditor” must be the account’s only role: the auditor only reads the access log and changes nothing. Give this person a separate account for other work.
roles-stand-alone = This role must be the account’s only role. Use a separate account for other work.
