curl -sSL -u ci-bot:hunter2 -X POST https://auth.example.com/oauth2/token \
  -d grant_type=client_credentials -d 'scope=read write' --data-urlencode 'note=a&b=c'
