//! `docker compose config --format json` output (v2.40.3) for awesome-compose samples
//! (tests/corpus/awesome-compose, CC0): real projects in the canonical shape the consistency
//! check reads. Absolute paths were replaced by `/project`.

use serde_json::json;

use crate::loader::tree::Value;

/// (sample directory, canonical project) pairs.
pub(super) fn projects() -> Vec<(&'static str, Value)> {
    vec![
        (
            "react-express-mysql",
            json!({
                "name": "react-express-mysql",
                "networks": {
                    "private": {
                        "name": "react-express-mysql_private",
                        "ipam": {}
                    },
                    "public": {
                        "name": "react-express-mysql_public",
                        "ipam": {}
                    }
                },
                "secrets": {
                    "db-password": {
                        "name": "react-express-mysql_db-password",
                        "file": "/project/db/password.txt"
                    }
                },
                "services": {
                    "backend": {
                        "build": {
                            "context": "/project/backend",
                            "dockerfile": "Dockerfile",
                            "args": {
                                "NODE_ENV": "development"
                            },
                            "target": "development"
                        },
                        "command": [
                            "npm",
                            "run",
                            "start-watch"
                        ],
                        "depends_on": {
                            "db": {
                                "condition": "service_started",
                                "required": true
                            }
                        },
                        "entrypoint": null,
                        "environment": {
                            "DATABASE_DB": "example",
                            "DATABASE_HOST": "db",
                            "DATABASE_PASSWORD": "/run/secrets/db-password",
                            "DATABASE_USER": "root",
                            "NODE_ENV": "development"
                        },
                        "networks": {
                            "private": null,
                            "public": null
                        },
                        "ports": [
                            {
                                "mode": "ingress",
                                "target": 80,
                                "published": "80",
                                "protocol": "tcp"
                            },
                            {
                                "mode": "ingress",
                                "target": 9229,
                                "published": "9229",
                                "protocol": "tcp"
                            },
                            {
                                "mode": "ingress",
                                "target": 9230,
                                "published": "9230",
                                "protocol": "tcp"
                            }
                        ],
                        "secrets": [
                            {
                                "source": "db-password",
                                "target": "/run/secrets/db-password"
                            }
                        ],
                        "volumes": [
                            {
                                "type": "bind",
                                "source": "/project/backend/src",
                                "target": "/code/src",
                                "read_only": true,
                                "bind": {
                                    "create_host_path": true
                                }
                            },
                            {
                                "type": "bind",
                                "source": "/project/backend/package.json",
                                "target": "/code/package.json",
                                "bind": {
                                    "create_host_path": true
                                }
                            },
                            {
                                "type": "bind",
                                "source": "/project/backend/package-lock.json",
                                "target": "/code/package-lock.json",
                                "bind": {
                                    "create_host_path": true
                                }
                            },
                            {
                                "type": "volume",
                                "source": "back-notused",
                                "target": "/opt/app/node_modules",
                                "volume": {}
                            }
                        ]
                    },
                    "db": {
                        "command": [
                            "--default-authentication-plugin=mysql_native_password"
                        ],
                        "entrypoint": null,
                        "environment": {
                            "MYSQL_DATABASE": "example",
                            "MYSQL_ROOT_PASSWORD_FILE": "/run/secrets/db-password"
                        },
                        "image": "mariadb:10.6.4-focal",
                        "networks": {
                            "private": null
                        },
                        "restart": "always",
                        "secrets": [
                            {
                                "source": "db-password",
                                "target": "/run/secrets/db-password"
                            }
                        ],
                        "volumes": [
                            {
                                "type": "volume",
                                "source": "db-data",
                                "target": "/var/lib/mysql",
                                "volume": {}
                            }
                        ]
                    },
                    "frontend": {
                        "build": {
                            "context": "/project/frontend",
                            "dockerfile": "Dockerfile",
                            "target": "development"
                        },
                        "command": null,
                        "depends_on": {
                            "backend": {
                                "condition": "service_started",
                                "required": true
                            }
                        },
                        "entrypoint": null,
                        "networks": {
                            "public": null
                        },
                        "ports": [
                            {
                                "mode": "ingress",
                                "target": 3000,
                                "published": "3000",
                                "protocol": "tcp"
                            }
                        ],
                        "volumes": [
                            {
                                "type": "bind",
                                "source": "/project/frontend/src",
                                "target": "/code/src",
                                "bind": {
                                    "create_host_path": true
                                }
                            },
                            {
                                "type": "volume",
                                "target": "/code/node_modules",
                                "volume": {}
                            }
                        ]
                    }
                },
                "volumes": {
                    "back-notused": {
                        "name": "react-express-mysql_back-notused"
                    },
                    "db-data": {
                        "name": "react-express-mysql_db-data"
                    }
                }
            }),
        ),
        (
            "nextcloud-redis-mariadb",
            json!({
                "name": "nextcloud-redis-mariadb",
                "networks": {
                    "dbnet": {
                        "name": "nextcloud-redis-mariadb_dbnet",
                        "ipam": {}
                    },
                    "redisnet": {
                        "name": "nextcloud-redis-mariadb_redisnet",
                        "ipam": {}
                    }
                },
                "services": {
                    "db": {
                        "command": [
                            "--transaction-isolation=READ-COMMITTED",
                            "--binlog-format=ROW"
                        ],
                        "entrypoint": null,
                        "environment": {
                            "MYSQL_DATABASE": "nextcloud",
                            "MYSQL_PASSWORD": "nextcloud",
                            "MYSQL_ROOT_PASSWORD": "nextcloud",
                            "MYSQL_USER": "nextcloud"
                        },
                        "expose": [
                            "3306"
                        ],
                        "image": "mariadb:10.5",
                        "networks": {
                            "dbnet": null
                        },
                        "restart": "always",
                        "volumes": [
                            {
                                "type": "volume",
                                "source": "db_data",
                                "target": "/var/lib/mysql",
                                "volume": {}
                            }
                        ]
                    },
                    "nc": {
                        "command": null,
                        "entrypoint": null,
                        "environment": {
                            "MYSQL_DATABASE": "nextcloud",
                            "MYSQL_HOST": "db",
                            "MYSQL_PASSWORD": "nextcloud",
                            "MYSQL_USER": "nextcloud",
                            "REDIS_HOST": "redis"
                        },
                        "image": "nextcloud:apache",
                        "networks": {
                            "dbnet": null,
                            "redisnet": null
                        },
                        "ports": [
                            {
                                "mode": "ingress",
                                "target": 80,
                                "published": "80",
                                "protocol": "tcp"
                            }
                        ],
                        "restart": "always",
                        "volumes": [
                            {
                                "type": "volume",
                                "source": "nc_data",
                                "target": "/var/www/html",
                                "volume": {}
                            }
                        ]
                    },
                    "redis": {
                        "command": null,
                        "entrypoint": null,
                        "expose": [
                            "6379"
                        ],
                        "image": "redis:alpine",
                        "networks": {
                            "redisnet": null
                        },
                        "restart": "always"
                    }
                },
                "volumes": {
                    "db_data": {
                        "name": "nextcloud-redis-mariadb_db_data"
                    },
                    "nc_data": {
                        "name": "nextcloud-redis-mariadb_nc_data"
                    }
                }
            }),
        ),
    ]
}
