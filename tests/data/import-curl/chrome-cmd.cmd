curl ^"https://api.example.com/ia/api/v1/objects/accounts-payable/vendor/42^" ^
  -X ^"PATCH^" ^
  -H ^"accept: application/json^" ^
  -H ^"content-type: application/json^" ^
  --data-raw ^"^{^\^"name^\^":^\^"Acme ^& Co^\^",^\^"creditLimit^\^":^\^"25000.00^\^"^}^" ^
  --compressed
