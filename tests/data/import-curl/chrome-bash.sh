curl 'https://api.example.com/ia/api/v1/objects/accounts-payable/vendor?fields=id,name&size=10' \
  -H 'accept: application/json' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2ln' \
  -H 'content-type: application/json' \
  -H 'cookie: session=abc123; theme=dark' \
  -H 'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"' \
  --data-raw $'{"id":"V-100","name":"Acme \'Supplies\'","note":"line1\\nline2 {{ not a template }}"}' \
  --compressed
