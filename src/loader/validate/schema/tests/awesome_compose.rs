//! Representative awesome-compose samples (tests/corpus/awesome-compose, CC0), transcribed from
//! YAML to JSON trees so these tests do not depend on the YAML reader.

use serde_json::json;

use crate::loader::tree::Value;

/// (sample file, tree) pairs.
pub(super) fn samples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "pihole-cloudflared-DoH/compose.yaml",
            json!({
                "version": "3.7",
                "services": {
                    "cloudflared": {
                        "image": "visibilityspots/cloudflared",
                        "container_name": "cloudflared",
                        "ports": [
                            "5054:5054/tcp",
                            "5054:5054/udp"
                        ],
                        "environment": [
                            "TZ=${TIMEZONE}",
                            "PORT=5054",
                            "ADDRESS=0.0.0.0"
                        ],
                        "restart": "always",
                        "networks": {
                            "dns-net": {
                                "ipv4_address": "172.20.0.2"
                            }
                        }
                    },
                    "pihole": {
                        "container_name": "pihole",
                        "image": "pihole/pihole:latest",
                        "ports": [
                            "53:53/tcp",
                            "53:53/udp",
                            "67:67/udp",
                            "8080:80/tcp",
                            "8443:443/tcp"
                        ],
                        "environment": [
                            "TZ=${TIMEZONE}",
                            "PIHOLE_DNS_=172.20.0.2#5054;1.1.1.1",
                            "WEBPASSWORD=${PIHOLE_PW}",
                            "REV_SERVER=true",
                            "REV_SERVER_TARGET=${PIHOLE_ROUTER_IP}",
                            "REV_SERVER_DOMAIN=${PIHOLE_NETWORK_DOMAIN}",
                            "REV_SERVER_CIDR=${PIHOLE_REVERSE_DNS}",
                            "ServerIP=${PIHOLE_HOST_IP}",
                            "ServerIPv6=${PIHOLE_HOST_IPV6}"
                        ],
                        "volumes": [
                            "/etc/pihole/:/etc/pihole/",
                            "/etc/dnsmasq.d/:/etc/dnsmasq.d/"
                        ],
                        "cap_add": [
                            "NET_ADMIN"
                        ],
                        "depends_on": [
                            "cloudflared"
                        ],
                        "restart": "always",
                        "networks": [
                            "dns-net"
                        ]
                    }
                },
                "networks": {
                    "dns-net": {
                        "ipam": {
                            "config": [
                                {
                                    "subnet": "172.20.0.0/24"
                                }
                            ]
                        }
                    }
                }
            }),
        ),
        (
            "react-express-mysql/compose.yaml",
            json!({
                "services": {
                    "backend": {
                        "build": {
                            "args": [
                                "NODE_ENV=development"
                            ],
                            "context": "backend",
                            "target": "development"
                        },
                        "command": "npm run start-watch",
                        "environment": [
                            "DATABASE_DB=example",
                            "DATABASE_USER=root",
                            "DATABASE_PASSWORD=/run/secrets/db-password",
                            "DATABASE_HOST=db",
                            "NODE_ENV=development"
                        ],
                        "ports": [
                            "80:80",
                            "9229:9229",
                            "9230:9230"
                        ],
                        "secrets": [
                            "db-password"
                        ],
                        "volumes": [
                            "./backend/src:/code/src:ro",
                            "./backend/package.json:/code/package.json",
                            "./backend/package-lock.json:/code/package-lock.json",
                            "back-notused:/opt/app/node_modules"
                        ],
                        "networks": [
                            "public",
                            "private"
                        ],
                        "depends_on": [
                            "db"
                        ]
                    },
                    "db": {
                        "image": "mariadb:10.6.4-focal",
                        "command": "--default-authentication-plugin=mysql_native_password",
                        "restart": "always",
                        "secrets": [
                            "db-password"
                        ],
                        "volumes": [
                            "db-data:/var/lib/mysql"
                        ],
                        "networks": [
                            "private"
                        ],
                        "environment": [
                            "MYSQL_DATABASE=example",
                            "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password"
                        ]
                    },
                    "frontend": {
                        "build": {
                            "context": "frontend",
                            "target": "development"
                        },
                        "ports": [
                            "3000:3000"
                        ],
                        "volumes": [
                            "./frontend/src:/code/src",
                            "/code/node_modules"
                        ],
                        "networks": [
                            "public"
                        ],
                        "depends_on": [
                            "backend"
                        ]
                    }
                },
                "networks": {
                    "public": null,
                    "private": null
                },
                "volumes": {
                    "back-notused": null,
                    "db-data": null
                },
                "secrets": {
                    "db-password": {
                        "file": "db/password.txt"
                    }
                }
            }),
        ),
        (
            "elasticsearch-logstash-kibana/compose.yaml",
            json!({
                "services": {
                    "elasticsearch": {
                        "image": "elasticsearch:7.16.1",
                        "container_name": "es",
                        "environment": {
                            "discovery.type": "single-node",
                            "ES_JAVA_OPTS": "-Xms512m -Xmx512m"
                        },
                        "ports": [
                            "9200:9200",
                            "9300:9300"
                        ],
                        "healthcheck": {
                            "test": [
                                "CMD-SHELL",
                                "curl --silent --fail localhost:9200/_cluster/health || exit 1"
                            ],
                            "interval": "10s",
                            "timeout": "10s",
                            "retries": 3
                        },
                        "networks": [
                            "elastic"
                        ]
                    },
                    "logstash": {
                        "image": "logstash:7.16.1",
                        "container_name": "log",
                        "environment": {
                            "discovery.seed_hosts": "logstash",
                            "LS_JAVA_OPTS": "-Xms512m -Xmx512m"
                        },
                        "volumes": [
                            "./logstash/pipeline/logstash-nginx.config:/usr/share/logstash/pipeline/logstash-nginx.config",
                            "./logstash/nginx.log:/home/nginx.log"
                        ],
                        "ports": [
                            "5000:5000/tcp",
                            "5000:5000/udp",
                            "5044:5044",
                            "9600:9600"
                        ],
                        "depends_on": [
                            "elasticsearch"
                        ],
                        "networks": [
                            "elastic"
                        ],
                        "command": "logstash -f /usr/share/logstash/pipeline/logstash-nginx.config"
                    },
                    "kibana": {
                        "image": "kibana:7.16.1",
                        "container_name": "kib",
                        "ports": [
                            "5601:5601"
                        ],
                        "depends_on": [
                            "elasticsearch"
                        ],
                        "networks": [
                            "elastic"
                        ]
                    }
                },
                "networks": {
                    "elastic": {
                        "driver": "bridge"
                    }
                }
            }),
        ),
        (
            "nginx-golang-mysql/compose.yaml",
            json!({
                "services": {
                    "backend": {
                        "build": {
                            "context": "backend",
                            "target": "builder"
                        },
                        "secrets": [
                            "db-password"
                        ],
                        "depends_on": {
                            "db": {
                                "condition": "service_healthy"
                            }
                        }
                    },
                    "db": {
                        "image": "mariadb:10-focal",
                        "command": "--default-authentication-plugin=mysql_native_password",
                        "restart": "always",
                        "healthcheck": {
                            "test": [
                                "CMD-SHELL",
                                "mysqladmin ping -h 127.0.0.1 --password=\"$$(cat /run/secrets/db-password)\" --silent"
                            ],
                            "interval": "3s",
                            "retries": 5,
                            "start_period": "30s"
                        },
                        "secrets": [
                            "db-password"
                        ],
                        "volumes": [
                            "db-data:/var/lib/mysql"
                        ],
                        "environment": [
                            "MYSQL_DATABASE=example",
                            "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password"
                        ],
                        "expose": [
                            3306
                        ]
                    },
                    "proxy": {
                        "image": "nginx",
                        "volumes": [
                            {
                                "type": "bind",
                                "source": "./proxy/nginx.conf",
                                "target": "/etc/nginx/conf.d/default.conf",
                                "read_only": true
                            }
                        ],
                        "ports": [
                            "80:80"
                        ],
                        "depends_on": [
                            "backend"
                        ]
                    }
                },
                "volumes": {
                    "db-data": null
                },
                "secrets": {
                    "db-password": {
                        "file": "db/password.txt"
                    }
                }
            }),
        ),
        (
            "wasmedge-kafka-mysql/compose.yml",
            json!({
                "services": {
                    "redpanda": {
                        "image": "docker.redpanda.com/vectorized/redpanda:v22.2.2",
                        "command": [
                            "redpanda start",
                            "--smp 1",
                            "--overprovisioned",
                            "--node-id 0",
                            "--kafka-addr PLAINTEXT://0.0.0.0:29092,OUTSIDE://0.0.0.0:9092",
                            "--advertise-kafka-addr PLAINTEXT://redpanda:29092,OUTSIDE://redpanda:9092",
                            "--pandaproxy-addr 0.0.0.0:8082",
                            "--advertise-pandaproxy-addr localhost:8082"
                        ],
                        "ports": [
                            "8081:8081",
                            "8082:8082",
                            "9092:9092",
                            "9644:9644",
                            "29092:29092"
                        ],
                        "volumes": [
                            "./kafka:/app"
                        ]
                    },
                    "etl": {
                        "image": "etl-kafka",
                        "platform": "wasi/wasm",
                        "build": {
                            "context": "etl"
                        },
                        "environment": {
                            "DATABASE_URL": "mysql://root:whalehello@db:3306/mysql",
                            "KAFKA_URL": "kafka://redpanda:9092/order",
                            "RUST_BACKTRACE": "full",
                            "RUST_LOG": "info"
                        },
                        "restart": "unless-stopped",
                        "runtime": "io.containerd.wasmedge.v1"
                    },
                    "db": {
                        "image": "mariadb:10.9",
                        "environment": {
                            "MYSQL_ROOT_PASSWORD": "whalehello"
                        }
                    }
                }
            }),
        ),
        (
            "plex/compose.yaml",
            json!({
                "services": {
                    "plex": {
                        "image": "linuxserver/plex",
                        "container_name": "plex",
                        "network_mode": "host",
                        "environment": [
                            "VERSION=docker"
                        ],
                        "restart": "always",
                        "volumes": [
                            "${PLEX_MEDIA_PATH}:/media/"
                        ]
                    }
                }
            }),
        ),
    ]
}
